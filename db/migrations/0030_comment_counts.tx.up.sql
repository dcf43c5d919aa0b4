-- What a new comment costs must not grow with its thread (issue 16): the
-- article's count of visible comments is kept here, not counted, and the
-- replies of a page of threads are found by their parent.
--
-- The count changes at commit (a deferred trigger), so its row is locked
-- only while the transaction commits: commenters on one article do not
-- queue behind each other's whole transaction (commits that NOTIFY are
-- serialised by PostgreSQL anyway). Every change of status counts,
-- whichever code makes it (posting, moderation, deletion, erasure).
CREATE TABLE comment_counts (
	post_id bigint PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
	visible integer NOT NULL DEFAULT 0
);
INSERT INTO comment_counts (post_id, visible)
	SELECT post_id, count(*) FROM comments WHERE status = 'visible' GROUP BY post_id;

CREATE FUNCTION count_visible_comments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d integer := 0;
	pid bigint;
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'visible' THEN
		d := d - 1;
		pid := OLD.post_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'visible' THEN
		d := d + 1;
		pid := NEW.post_id;
	END IF;
	IF d <> 0 THEN
		-- A post deleted with its comments has no count left to change.
		INSERT INTO comment_counts (post_id, visible)
			SELECT pid, d WHERE EXISTS (SELECT 1 FROM posts WHERE id = pid)
			ON CONFLICT (post_id) DO UPDATE SET visible = comment_counts.visible + EXCLUDED.visible;
	END IF;
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER comments_count_visible
	AFTER INSERT OR DELETE OR UPDATE OF status ON comments
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION count_visible_comments();

-- A page of threads: each top-level comment's visible replies, counted and
-- read by their parent.
CREATE INDEX comments_replies_idx ON comments (parent_id, id) WHERE status = 'visible';
-- A page of threads: the newest top-level comments before a given one.
CREATE INDEX comments_threads_idx ON comments (post_id, id) WHERE parent_id IS NULL;
