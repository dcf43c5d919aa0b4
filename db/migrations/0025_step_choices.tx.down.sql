-- Back to a number of minutes from 5 to 120: "the service's length" (0)
-- has no such number and becomes the old default, 15.
ALTER TABLE schedule_settings DROP CONSTRAINT IF EXISTS schedule_settings_step_min_check;
UPDATE schedule_settings SET step_min = 15 WHERE step_min = 0;
ALTER TABLE schedule_settings
	ALTER COLUMN step_min SET DEFAULT 15,
	ADD CONSTRAINT schedule_settings_step_min_check CHECK (step_min BETWEEN 5 AND 120);
