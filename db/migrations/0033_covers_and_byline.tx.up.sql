-- A cover picture per article (issue 17): one of the therapist's pictures
-- (media), shown at the top of the article, small in the lists, and as the
-- link preview (og:image). Its alt text is the article's own, since the
-- same picture may say different things on different articles. A picture
-- that is an article's cover cannot be deleted (db.DeleteMedia checks
-- first; the foreign key is the last guard).
ALTER TABLE posts
	ADD COLUMN cover_media_id bigint REFERENCES media (id),
	ADD COLUMN cover_alt      text NOT NULL DEFAULT '';
CREATE INDEX posts_cover_media_idx ON posts (cover_media_id) WHERE cover_media_id IS NOT NULL;

-- The therapist's own name, set on the Business page: the byline of new
-- articles, and what articles signed with the old blog's handle show.
ALTER TABLE business_settings ADD COLUMN therapist_name text NOT NULL DEFAULT '';
