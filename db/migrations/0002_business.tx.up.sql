-- The practice's own facts, one row, edited by the therapist.
-- is_example marks values that came from the demo seed and are not yet real.
CREATE TABLE business_settings (
	id             smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	name           text NOT NULL,
	tagline        text NOT NULL DEFAULT '',
	intro          text NOT NULL DEFAULT '',
	about          text NOT NULL DEFAULT '',
	phone          text NOT NULL DEFAULT '',
	email          text NOT NULL DEFAULT '',
	street_address text NOT NULL DEFAULT '',
	locality       text NOT NULL DEFAULT '',
	region         text NOT NULL DEFAULT '',
	postcode       text NOT NULL DEFAULT '',
	mobile_area    text NOT NULL DEFAULT '',
	hours_summary  text NOT NULL DEFAULT '',
	is_example     boolean NOT NULL DEFAULT false,
	updated_at     timestamptz NOT NULL DEFAULT now()
);

-- What a client can book. Prices in pence, durations in minutes.
CREATE TABLE services (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	name         text NOT NULL CHECK (name <> ''),
	summary      text NOT NULL DEFAULT '',
	duration_min integer NOT NULL CHECK (duration_min BETWEEN 5 AND 480),
	price_pence  integer NOT NULL CHECK (price_pence >= 0),
	at_studio    boolean NOT NULL DEFAULT true,
	mobile       boolean NOT NULL DEFAULT true,
	active       boolean NOT NULL DEFAULT true,
	sort_order   integer NOT NULL DEFAULT 0,
	is_example   boolean NOT NULL DEFAULT false,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	CHECK (at_studio OR mobile)
);
CREATE INDEX services_listing_idx ON services (sort_order, id) WHERE active;
