-- Clients and treatment notes (issue 17).
--
-- A client is not a table: it is the bookings that share an e-mail address
-- (lower, trimmed). client_merges records the therapist's word that one
-- address is the same person as another; it is flat (every address of a
-- person points at one address, never at a chain), so a person is
-- coalesce(into_email, the booking's address).
CREATE TABLE client_merges (
	email      text PRIMARY KEY CHECK (email = lower(btrim(email)) AND email <> ''),
	into_email text NOT NULL CHECK (into_email = lower(btrim(into_email)) AND into_email <> '' AND into_email <> email),
	merged_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_merges_into_idx ON client_merges (into_email);

-- One treatment note per appointment (SOAP and free text), written by the
-- therapist after it. A clinical record must not change silently: the
-- trigger below keeps every earlier version, with the time it was saved,
-- in treatment_note_versions, which is only ever appended to (the retention
-- job and erasure delete a note with its versions, by the cascade).
CREATE TABLE treatment_notes (
	id          bigserial PRIMARY KEY,
	booking_id  bigint NOT NULL UNIQUE REFERENCES bookings (id) ON DELETE CASCADE,
	subjective  text NOT NULL DEFAULT '',
	objective   text NOT NULL DEFAULT '',
	treatment   text NOT NULL DEFAULT '',
	areas       text NOT NULL DEFAULT '',
	plan        text NOT NULL DEFAULT '',
	free_text   text NOT NULL DEFAULT '',
	version     integer NOT NULL DEFAULT 1,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);

CREATE TABLE treatment_note_versions (
	id          bigserial PRIMARY KEY,
	note_id     bigint NOT NULL REFERENCES treatment_notes (id) ON DELETE CASCADE,
	version     integer NOT NULL,
	subjective  text NOT NULL,
	objective   text NOT NULL,
	treatment   text NOT NULL,
	areas       text NOT NULL,
	plan        text NOT NULL,
	free_text   text NOT NULL,
	saved_at    timestamptz NOT NULL, -- when this version was saved (the note's updated_at then)
	replaced_at timestamptz NOT NULL, -- when a later save replaced it
	UNIQUE (note_id, version)
);

-- An update that changes the words keeps the old row first and numbers the
-- new one; an update that changes nothing is not a new version.
CREATE FUNCTION treatment_note_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (OLD.subjective, OLD.objective, OLD.treatment, OLD.areas, OLD.plan, OLD.free_text)
	   IS NOT DISTINCT FROM (NEW.subjective, NEW.objective, NEW.treatment, NEW.areas, NEW.plan, NEW.free_text) THEN
		NEW.updated_at := OLD.updated_at;
		NEW.version := OLD.version;
		RETURN NEW;
	END IF;
	INSERT INTO treatment_note_versions (note_id, version, subjective, objective, treatment, areas, plan, free_text, saved_at, replaced_at)
	VALUES (OLD.id, OLD.version, OLD.subjective, OLD.objective, OLD.treatment, OLD.areas, OLD.plan, OLD.free_text, OLD.updated_at, NEW.updated_at);
	NEW.version := OLD.version + 1;
	NEW.created_at := OLD.created_at;
	NEW.booking_id := OLD.booking_id;
	RETURN NEW;
END
$$;
CREATE TRIGGER treatment_notes_version BEFORE UPDATE ON treatment_notes
	FOR EACH ROW EXECUTE FUNCTION treatment_note_keep_version();

-- Versions are never edited.
CREATE FUNCTION treatment_note_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'treatment note versions are not changed';
END
$$;
CREATE TRIGGER treatment_note_versions_frozen BEFORE UPDATE ON treatment_note_versions
	FOR EACH ROW EXECUTE FUNCTION treatment_note_versions_append_only();

-- How long treatment notes are kept: years after the client's last visit,
-- separate from (and longer than) the health answers of bookings. UK
-- professional bodies advise keeping adult records 8 years after the last
-- treatment. 0 keeps them.
ALTER TABLE privacy_settings ADD COLUMN notes_keep_years integer NOT NULL DEFAULT 8
	CHECK (notes_keep_years BETWEEN 0 AND 30);

-- Addresses whose erasure kept bookings with treatment notes inside their
-- retention (the name and address identify the clinical record): when
-- the retention job removes those notes, it finishes the erasure.
CREATE TABLE client_erasures (
	email     text PRIMARY KEY,
	erased_at timestamptz NOT NULL
);
