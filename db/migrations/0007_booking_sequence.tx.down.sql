ALTER TABLE bookings DROP COLUMN sequence;
