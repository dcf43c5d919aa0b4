-- How new comments are moderated: off (they appear at once), first (a
-- person's first comment waits for approval), all (every comment waits).
ALTER TABLE business_settings ADD COLUMN comment_moderation text NOT NULL DEFAULT 'off'
	CHECK (comment_moderation IN ('off', 'first', 'all'));

-- Readers' comments: one level of replies (parent_id points at a top-level
-- comment). No e-mail addresses and no IP addresses are kept: author_hash is
-- a hash of a random key in the commenter's session (their own comments,
-- for editing), ip_hash a keyed hash of the client address (rate limits,
-- "first comment", blocking).
CREATE TABLE comments (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	parent_id   bigint REFERENCES comments (id) ON DELETE CASCADE,
	name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
	body_md     text NOT NULL CHECK (char_length(body_md) <= 5000),
	body_html   text NOT NULL,
	status      text NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'held', 'hidden', 'deleted')),
	by_practice boolean NOT NULL DEFAULT false,
	author_hash bytea NOT NULL,
	ip_hash     bytea NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	edited_at   timestamptz,
	deleted_at  timestamptz
);
CREATE INDEX comments_post_idx ON comments (post_id, id);
CREATE INDEX comments_author_idx ON comments (author_hash);
CREATE INDEX comments_ip_idx ON comments (ip_hash, created_at);

-- What live readers are sent: a comment appeared, or changed (edited,
-- deleted, hidden). Written in the transaction that makes the change, which
-- also NOTIFYs channel comment_events with the event id; reconnecting
-- readers replay from here by id (SSE Last-Event-ID).
CREATE TABLE comment_events (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
	post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	kind       text NOT NULL CHECK (kind IN ('new', 'update')),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comment_events_post_idx ON comment_events (post_id, id);

-- Secret keys the site makes for itself on first use (signing form
-- timestamps, hashing addresses), shared by every instance.
CREATE TABLE site_keys (
	name       text PRIMARY KEY,
	key        bytea NOT NULL CHECK (length(key) >= 32),
	created_at timestamptz NOT NULL DEFAULT now()
);
