-- Every e-mail the site sends, written in the same transaction as the change
-- that causes it (a booking, a move, a cancellation). A job in the queue
-- (River, package jobs) sends it and records the outcome here, so the
-- therapist can see what went out and what failed, and in development,
-- where there is no mail server, the messages are kept here to read.
CREATE TABLE outbox (
	id         bigserial PRIMARY KEY,
	kind       text NOT NULL,              -- what the message is, e.g. booking_confirmed
	recipient  text NOT NULL,              -- the To address
	subject    text NOT NULL,
	message    jsonb NOT NULL,             -- the message as mail.Message
	booking_id bigint REFERENCES bookings (id) ON DELETE SET NULL,
	status     text NOT NULL DEFAULT 'queued'
	           CHECK (status IN ('queued', 'sent', 'kept', 'failed')),
	attempts   int NOT NULL DEFAULT 0,
	last_error text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at    timestamptz
);
CREATE INDEX outbox_created_idx ON outbox (created_at DESC);
CREATE INDEX outbox_failed_idx ON outbox (created_at DESC) WHERE status = 'failed';
CREATE INDEX outbox_booking_idx ON outbox (booking_id);

-- More links to one booking's manage page. The booking keeps the hash of the
-- link made when it was booked; a later message (the reminder, sent weeks
-- on) carries a link of its own, so that no raw link ever has to be kept.
CREATE TABLE booking_links (
	token_hash bytea PRIMARY KEY,
	booking_id bigint NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX booking_links_booking_idx ON booking_links (booking_id);
