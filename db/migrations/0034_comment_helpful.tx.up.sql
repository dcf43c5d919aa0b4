-- "Helpful" on comments (issue 18): one vote per visitor per comment.
-- voter is a keyed hash of a random key in the visitor's `voter` cookie
-- (no session row, no address kept); ip_hash the keyed hash of the client
-- address, as comments keep it, so that votes from one address can be
-- found and undone if ever needed.
CREATE TABLE comment_votes (
	comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
	voter      bytea NOT NULL,
	ip_hash    bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (comment_id, voter)
);
-- A visitor's votes among an article's comments (their page shows them
-- pressed) are found by voter.
CREATE INDEX comment_votes_voter_idx ON comment_votes (voter, comment_id);

-- The count is kept on the comment, so that pages never count: every vote
-- and undo, whichever code makes it, changes it in the same transaction.
-- A comment deleted for good takes its votes with it; there is then no
-- count left to change.
ALTER TABLE comments ADD COLUMN helpful integer NOT NULL DEFAULT 0 CHECK (helpful >= 0);

CREATE FUNCTION count_helpful_votes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE comments SET helpful = helpful + 1 WHERE id = NEW.comment_id;
	ELSE
		UPDATE comments SET helpful = greatest(helpful - 1, 0) WHERE id = OLD.comment_id;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER comment_votes_count AFTER INSERT OR DELETE ON comment_votes
	FOR EACH ROW EXECUTE FUNCTION count_helpful_votes();

-- The most helpful threads of an article first (?sort=helpful).
CREATE INDEX comments_helpful_idx ON comments (post_id, helpful DESC, id) WHERE parent_id IS NULL;

-- A count change is a live event of its own kind: the stream sends only
-- the new count, not the whole comment.
ALTER TABLE comment_events DROP CONSTRAINT comment_events_kind_check;
ALTER TABLE comment_events ADD CONSTRAINT comment_events_kind_check CHECK (kind IN ('new', 'update', 'count'));
