ALTER TABLE bookings DROP COLUMN late_moved;
