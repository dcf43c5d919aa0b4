-- Commenters the therapist blocked, by the keyed hash of their address
-- (comments.ip_hash; no address is kept). A blocked commenter's new comments
-- are held for approval whatever the moderation mode, without telling them.
-- name and comment_id say whom she blocked, from which comment.
CREATE TABLE comment_blocks (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ip_hash    bytea NOT NULL UNIQUE,
	name       text NOT NULL DEFAULT '',
	comment_id bigint REFERENCES comments (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
