-- How many times a booking was changed (moved): the SEQUENCE of its calendar
-- invitations, so that calendars replace the old time with the new one.
ALTER TABLE bookings ADD COLUMN sequence integer NOT NULL DEFAULT 0 CHECK (sequence >= 0);
