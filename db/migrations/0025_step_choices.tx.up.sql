-- The step between offered start times is one of four choices on the
-- Availability page: every 15, 30 or 60 minutes, or 0, meaning the
-- service's own length (a 45-minute service at 09:00, 09:45, 10:30…).
-- The default becomes 30 (on the hour and half hour). A saved row still at
-- the old default, 15, cannot be told apart from one left as it was found,
-- so it moves to the new default too; any other value becomes the nearest
-- of the choices (ties go to the longer step).
ALTER TABLE schedule_settings DROP CONSTRAINT IF EXISTS schedule_settings_step_min_check;
UPDATE schedule_settings SET step_min = CASE
		WHEN step_min = 15 THEN 30
		WHEN step_min < 23 THEN 15
		WHEN step_min < 45 THEN 30
		ELSE 60
	END
	WHERE step_min NOT IN (30, 60);
ALTER TABLE schedule_settings
	ALTER COLUMN step_min SET DEFAULT 30,
	ADD CONSTRAINT schedule_settings_step_min_check CHECK (step_min IN (0, 15, 30, 60));
