DELETE FROM comment_events WHERE kind = 'count';
ALTER TABLE comment_events DROP CONSTRAINT comment_events_kind_check;
ALTER TABLE comment_events ADD CONSTRAINT comment_events_kind_check CHECK (kind IN ('new', 'update'));
DROP INDEX comments_helpful_idx;
DROP TRIGGER comment_votes_count ON comment_votes;
DROP FUNCTION count_helpful_votes();
ALTER TABLE comments DROP COLUMN helpful;
DROP TABLE comment_votes;
