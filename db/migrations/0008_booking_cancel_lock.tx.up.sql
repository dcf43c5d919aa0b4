-- A booking moved inside its cancellation cut-off can no longer be cancelled
-- online: otherwise moving it away and then cancelling would get round the
-- policy it was booked under.
ALTER TABLE bookings ADD COLUMN late_moved boolean NOT NULL DEFAULT false;
