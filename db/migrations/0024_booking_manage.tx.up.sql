-- What a client's booking page tells them after they change it.
--
-- client_cancel_reason: the client's own words when they cancel online
-- (optional). The therapist reads them on the booking's page and in the
-- practice's e-mail about the cancellation. cancel_reason keeps saying who
-- cancelled ("cancelled by the client", or the therapist's reason the
-- client was told).
--
-- previous_starts_at: the start before the last move, so that the page the
-- move leads to can say "Moved from … to …", the same for both clicks of a
-- double click.
ALTER TABLE bookings
	ADD COLUMN client_cancel_reason text NOT NULL DEFAULT '' CHECK (char_length(client_cancel_reason) <= 1000),
	ADD COLUMN previous_starts_at timestamptz;
