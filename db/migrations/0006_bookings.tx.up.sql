-- Online booking. btree_gist lets an exclusion constraint compare ranges of
-- time, the last guard against two clients getting the same time.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The practice's scheduling rules: one row, edited by the therapist. Absent
-- until saved; the site then uses the same defaults (db.DefaultSchedule).
CREATE TABLE schedule_settings (
	id                  smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	step_min            integer NOT NULL DEFAULT 15 CHECK (step_min BETWEEN 5 AND 120),
	buffer_min          integer NOT NULL DEFAULT 15 CHECK (buffer_min BETWEEN 0 AND 240),
	travel_min          integer NOT NULL DEFAULT 30 CHECK (travel_min BETWEEN 0 AND 240),
	notice_hours        integer NOT NULL DEFAULT 12 CHECK (notice_hours BETWEEN 0 AND 720),
	horizon_weeks       integer NOT NULL DEFAULT 8 CHECK (horizon_weeks BETWEEN 1 AND 52),
	hold_min            integer NOT NULL DEFAULT 10 CHECK (hold_min BETWEEN 2 AND 60),
	cancel_cutoff_hours integer NOT NULL DEFAULT 24 CHECK (cancel_cutoff_hours BETWEEN 0 AND 336),
	late_move_allowed   boolean NOT NULL DEFAULT true,
	cancellation_policy text NOT NULL DEFAULT '',
	mobile_districts    text[] NOT NULL DEFAULT '{}',
	updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Weekly working hours, per weekday (0 = Sunday) and place; several ranges a
-- day are allowed. Times are Europe/London wall-clock times.
CREATE TABLE working_hours (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	weekday smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
	place   text NOT NULL CHECK (place IN ('studio', 'mobile')),
	starts  time NOT NULL,
	ends    time NOT NULL,
	CHECK (ends > starts OR ends = '00:00')
);

-- When the therapist is away: whole days or part days.
CREATE TABLE time_off (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	starts_at timestamptz NOT NULL,
	ends_at   timestamptz NOT NULL CHECK (ends_at > starts_at),
	note      text NOT NULL DEFAULT ''
);

-- Bookings, from a hold (a visitor chose a time and fills in the form) to
-- confirmed, and then cancelled, completed or a no-show. blocked_from and
-- blocked_to widen the appointment by the buffer and, for mobile visits, the
-- travel time; held and confirmed bookings may never overlap there.
CREATE TABLE bookings (
	id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	service_id          bigint NOT NULL REFERENCES services (id),
	place               text NOT NULL CHECK (place IN ('studio', 'mobile')),
	starts_at           timestamptz NOT NULL,
	ends_at             timestamptz NOT NULL,
	blocked_from        timestamptz NOT NULL,
	blocked_to          timestamptz NOT NULL,
	status              text NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'completed', 'no_show')),
	hold_owner          bytea,       -- hash of the visitor's hold key while held
	hold_expires_at     timestamptz,
	client_name         text NOT NULL DEFAULT '',
	client_email        text NOT NULL DEFAULT '',
	client_phone        text NOT NULL DEFAULT '',
	address             text NOT NULL DEFAULT '',
	postcode            text NOT NULL DEFAULT '',
	notes               text NOT NULL DEFAULT '',
	health              jsonb,       -- questionnaire answers: special-category data, admin only
	consent_at          timestamptz,
	manage_token_hash   bytea UNIQUE, -- SHA-256 of the client's manage link token
	service_name        text NOT NULL DEFAULT '',
	duration_min        integer NOT NULL CHECK (duration_min > 0),
	price_pence         integer NOT NULL CHECK (price_pence >= 0),
	policy_cutoff_hours integer,     -- the cancellation policy this booking was made under
	policy_text         text NOT NULL DEFAULT '',
	late_move_allowed   boolean NOT NULL DEFAULT true,
	moved_from          bigint REFERENCES bookings (id),
	created_at          timestamptz NOT NULL DEFAULT now(),
	confirmed_at        timestamptz,
	cancelled_at        timestamptz,
	cancel_reason       text NOT NULL DEFAULT '',
	CHECK (ends_at > starts_at),
	CHECK (blocked_from <= starts_at AND blocked_to >= ends_at),
	CHECK (status <> 'held' OR (hold_owner IS NOT NULL AND hold_expires_at IS NOT NULL)),
	CHECK (status = 'held' OR manage_token_hash IS NOT NULL),
	CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
		tstzrange(blocked_from, blocked_to, '[)') WITH &&
	) WHERE (status IN ('held', 'confirmed'))
);
CREATE INDEX bookings_starts_idx ON bookings (starts_at);
CREATE INDEX bookings_hold_owner_idx ON bookings (hold_owner) WHERE status = 'held';
CREATE INDEX bookings_email_idx ON bookings (lower(client_email));
