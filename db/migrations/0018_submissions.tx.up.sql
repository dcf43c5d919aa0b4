-- Forms that create something (a service, an article, a booking taken by
-- phone) carry a random submission token. The transaction that creates the
-- thing first claims the token's hash here, so a form sent twice (a double
-- click, a resend after a slow answer) creates one thing: the twin waits on
-- the primary key until the first commits, then is sent where the first
-- went (result, a path on this site). Rows older than a day are deleted by
-- the daily clean-up job.
CREATE TABLE form_submissions (
	key_hash   bytea PRIMARY KEY,
	result     text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX form_submissions_created_idx ON form_submissions (created_at);
