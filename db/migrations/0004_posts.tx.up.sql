-- array_to_string is only STABLE; for text[] it is in fact immutable, and a
-- generated column needs that promise.
CREATE FUNCTION tags_text(text[]) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT array_to_string($1, ' ') $$;

-- Articles. body_html is rendered once when the post is saved; body_text is
-- the plain text the search index and snippets use.
CREATE TABLE posts (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	title           text NOT NULL CHECK (title <> ''),
	summary         text NOT NULL DEFAULT '',
	body_md         text NOT NULL,
	body_html       text NOT NULL,
	body_text       text NOT NULL,
	author          text NOT NULL,
	tags            text[] NOT NULL DEFAULT '{}',
	status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'published')),
	published_at    timestamptz,
	updated_at      timestamptz NOT NULL DEFAULT now(),
	created_at      timestamptz NOT NULL DEFAULT now(),
	reading_minutes integer NOT NULL DEFAULT 1 CHECK (reading_minutes >= 1),
	likes           integer NOT NULL DEFAULT 0 CHECK (likes >= 0),
	views           integer NOT NULL DEFAULT 0 CHECK (views >= 0),
	search          tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('english'::regconfig, title), 'A') ||
		setweight(to_tsvector('english'::regconfig, summary), 'B') ||
		setweight(to_tsvector('english'::regconfig, tags_text(tags)), 'B') ||
		setweight(to_tsvector('english'::regconfig, body_text), 'C')
	) STORED,
	CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE INDEX posts_search_idx ON posts USING gin (search);
CREATE INDEX posts_tags_idx ON posts USING gin (tags);
CREATE INDEX posts_published_idx ON posts (published_at DESC, id DESC) WHERE status <> 'draft';

-- Slugs a post had before, so old links keep working (301 to the new one).
CREATE TABLE post_old_slugs (
	slug    text PRIMARY KEY,
	post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE
);
