DROP INDEX bookings_client_email_idx;
DROP TABLE new_address_bookings;
DROP TABLE booking_mail_settings;
DROP INDEX outbox_held_idx;
-- Held messages are not lost: they become failed ones, which the therapist
-- can send from the outbox.
UPDATE outbox SET status = 'failed', last_error = 'held: too many confirmations to new addresses that day'
	WHERE status = 'held';
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
	CHECK (status IN ('queued', 'sent', 'kept', 'failed'));
