DROP TABLE site_keys;
DROP TABLE comment_events;
DROP TABLE comments;
ALTER TABLE business_settings DROP COLUMN comment_moderation;
