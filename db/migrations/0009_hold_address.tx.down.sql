ALTER TABLE bookings DROP COLUMN hold_ip;
