-- Messages sent through the contact form. Every message is kept here, so
-- that the therapist can read it in the admin area even if its e-mail was
-- never delivered; the e-mail (to the practice, Reply-To the sender) is
-- written to the outbox in the same transaction.
CREATE TABLE contact_messages (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       text NOT NULL CHECK (name <> ''),
	email      text NOT NULL CHECK (email <> ''),
	phone      text NOT NULL DEFAULT '',
	message    text NOT NULL CHECK (message <> ''),
	created_at timestamptz NOT NULL DEFAULT now(),
	read_at    timestamptz  -- when the therapist marked it read
);
CREATE INDEX contact_messages_unread_idx ON contact_messages (id DESC) WHERE read_at IS NULL;

-- The therapist's calendar feed (/calendar/<secret>.ics): one row while a
-- feed exists. Only the SHA-256 of the secret is kept; the secret itself is
-- shown once, when it is made, like an API key. Rotating replaces the row,
-- so the old address stops working at once; deleting it revokes the feed.
CREATE TABLE calendar_feed (
	id           smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	secret_hash  bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
	created_at   timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz  -- roughly when a calendar last fetched it
);
