DROP TABLE post_old_slugs;
DROP TABLE posts;
DROP FUNCTION tags_text(text[]);
