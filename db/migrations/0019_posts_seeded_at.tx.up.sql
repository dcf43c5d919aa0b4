-- A post that came from a seed file (db/seed/posts) remembers it:
-- seed_slug is the file's slug, which stays the post's identity for the seed
-- however the therapist renames it; seeded_at is the update time the seed
-- last gave it. While updated_at still equals seeded_at nobody has edited
-- the post since, and the next seed may bring it up to date with its file;
-- once the therapist edits or renames it, the seed leaves it alone.
-- Posts that exist now are taken as seeded and unedited (before these
-- columns the seed overwrote them anyway).
ALTER TABLE posts ADD COLUMN seed_slug text UNIQUE, ADD COLUMN seeded_at timestamptz;
UPDATE posts SET seed_slug = slug, seeded_at = updated_at;
