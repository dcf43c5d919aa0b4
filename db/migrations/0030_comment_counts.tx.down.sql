DROP INDEX comments_threads_idx;
DROP INDEX comments_replies_idx;
DROP TRIGGER comments_count_visible ON comments;
DROP FUNCTION count_visible_comments();
DROP TABLE comment_counts;
