-- How long a time freed for the waitlist is held for the person it is
-- offered to: a setting of the therapist's (it was fixed at two hours).
ALTER TABLE schedule_settings
	ADD COLUMN offer_hold_min integer NOT NULL DEFAULT 120 CHECK (offer_hold_min BETWEEN 15 AND 1440);
