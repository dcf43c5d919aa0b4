ALTER TABLE posts DROP COLUMN seed_slug, DROP COLUMN seeded_at;
