-- The waitlist: clients who found no free time that suits them on a day
-- wait for one at a place, between an earliest and a latest start (London
-- wall clock, minutes after midnight). When a time frees up it is offered
-- to the first person waiting (FIFO by id), held for them for a while.
CREATE TABLE waitlist (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	service_id        bigint NOT NULL REFERENCES services (id),
	place             text NOT NULL CHECK (place IN ('studio', 'mobile')),
	day               date NOT NULL,             -- Europe/London date
	earliest_min      integer NOT NULL CHECK (earliest_min BETWEEN 0 AND 1439),
	latest_min        integer NOT NULL CHECK (latest_min BETWEEN 0 AND 1439),
	name              text NOT NULL,
	email             text NOT NULL,
	postcode          text NOT NULL DEFAULT '',  -- for a mobile visit
	status            text NOT NULL DEFAULT 'waiting'
	                  CHECK (status IN ('waiting', 'offered', 'booked', 'expired', 'removed')),
	leave_token_hash  bytea NOT NULL UNIQUE,     -- SHA-256 of the "take me off the list" link's token
	created_at        timestamptz NOT NULL DEFAULT now(),
	CHECK (latest_min >= earliest_min)
);
-- One place on the list per person, day, place and service.
CREATE UNIQUE INDEX waitlist_once_idx ON waitlist (lower(email), day, place, service_id)
	WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_day_idx ON waitlist (day, id) WHERE status IN ('waiting', 'offered');

-- Each time offered to someone on the waitlist. While the offer is open the
-- time is a hold in bookings (hold_id; not a foreign key, because
-- confirming replaces the hold's row with the booking's).
CREATE TABLE waitlist_offers (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	entry_id    bigint NOT NULL REFERENCES waitlist (id) ON DELETE CASCADE,
	starts_at   timestamptz NOT NULL,
	hold_id     bigint,
	token_hash  bytea NOT NULL UNIQUE,           -- SHA-256 of the offer link's token
	expires_at  timestamptz NOT NULL,
	outcome     text NOT NULL DEFAULT 'offered'
	            CHECK (outcome IN ('offered', 'booked', 'expired', 'withdrawn')),
	booking_id  bigint REFERENCES bookings (id) ON DELETE SET NULL,
	created_at  timestamptz NOT NULL DEFAULT now()
);
-- One open offer per entry at a time.
CREATE UNIQUE INDEX waitlist_offers_open_idx ON waitlist_offers (entry_id) WHERE outcome = 'offered';
CREATE INDEX waitlist_offers_hold_idx ON waitlist_offers (hold_id) WHERE outcome = 'offered';
CREATE INDEX waitlist_offers_entry_idx ON waitlist_offers (entry_id);
