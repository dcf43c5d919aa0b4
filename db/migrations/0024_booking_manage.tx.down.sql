ALTER TABLE bookings DROP COLUMN previous_starts_at, DROP COLUMN client_cancel_reason;
