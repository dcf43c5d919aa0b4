-- Pictures the therapist puts in articles, uploaded in the admin area and
-- kept here, PostgreSQL being the site's only store. Each is stored as
-- package photos prepared it (upright, at most 1600 pixels wide, without
-- its metadata) and served at /media/<name>; the name comes from the
-- content, so a picture at an address never changes and can be cached for
-- a year.
CREATE TABLE media (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name         text NOT NULL UNIQUE,           -- e.g. 3f9a0c1b2d4e5f60.jpg
	content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
	width        int NOT NULL CHECK (width > 0),
	height       int NOT NULL CHECK (height > 0),
	data         bytea NOT NULL,
	description  text NOT NULL DEFAULT '',       -- what it shows: the alt text
	created_at   timestamptz NOT NULL DEFAULT now()
);
