-- What a queued message is about besides a booking, so that the worker can
-- check, when it finally sends, that the message is still true: a waitlist
-- offer still open (offer_id), a comment still visible (comment_id). No
-- foreign keys: a message whose offer or comment is gone is simply dropped.
ALTER TABLE outbox ADD COLUMN comment_id bigint, ADD COLUMN offer_id bigint;
