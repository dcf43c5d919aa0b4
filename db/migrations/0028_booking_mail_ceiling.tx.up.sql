-- Issue 15: the booking form must not be a way to mail strangers.
--
-- A confirmation past the day's ceiling of confirmations to new addresses is
-- written to the outbox as 'held': kept, with no job to send it, until the
-- therapist sends or deletes it from her dashboard.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
	CHECK (status IN ('queued', 'sent', 'kept', 'failed', 'held'));
CREATE INDEX outbox_held_idx ON outbox (id) WHERE status = 'held';

-- The ceiling: how many online bookings a day (Europe/London) may have their
-- confirmation sent to an address the practice has not seen before. One
-- row; absent until she changes it, and the default is used meanwhile.
CREATE TABLE booking_mail_settings (
	id                    smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	new_addresses_per_day integer NOT NULL DEFAULT 20 CHECK (new_addresses_per_day BETWEEN 0 AND 1000),
	updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Each online booking to a new address, counted on the day it was made (in
-- the booking's own transaction, under the booking lock, so that every
-- instance counts the same), and what became of its client's mail: sent
-- (under the ceiling), held (past it), released or dropped by the therapist.
-- No address is copied here: the booking has it (and erasure empties it).
CREATE TABLE new_address_bookings (
	booking_id bigint PRIMARY KEY REFERENCES bookings (id) ON DELETE CASCADE,
	day        date NOT NULL,
	mail       text NOT NULL CHECK (mail IN ('sent', 'held', 'released', 'dropped'))
);
CREATE INDEX new_address_bookings_day_idx ON new_address_bookings (day);

-- Upcoming bookings per address, and whether an address is known, are read
-- by the address in any case.
CREATE INDEX bookings_client_email_idx ON bookings (lower(btrim(client_email))) WHERE client_email <> '';
