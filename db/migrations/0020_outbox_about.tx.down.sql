ALTER TABLE outbox DROP COLUMN comment_id, DROP COLUMN offer_id;
