ALTER TABLE business_settings DROP COLUMN therapist_name;
DROP INDEX posts_cover_media_idx;
ALTER TABLE posts DROP COLUMN cover_alt, DROP COLUMN cover_media_id;
