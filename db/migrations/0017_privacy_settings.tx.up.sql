-- The practice's privacy settings: one row, edited by the therapist on
-- /admin/privacy. Absent until saved; the site then uses the same default
-- (db.DefaultPrivacy).
--
-- health_keep_months: a booking's health answers and notes are erased this
-- many months after the appointment ended (a daily job); 0 keeps them.
-- The default, 84 months (7 years), is what professional insurers commonly
-- ask a therapist to keep treatment records for; the therapist can shorten
-- it. Below 3 months is refused: the e-mail to the practice quotes the
-- notes, and the outbox keeps sent mail for 90 days.
CREATE TABLE privacy_settings (
	id                 smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	health_keep_months integer NOT NULL DEFAULT 84
	                   CHECK (health_keep_months = 0 OR health_keep_months BETWEEN 3 AND 240),
	updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The retention job looks for old appointments that still hold answers.
CREATE INDEX bookings_health_ends_idx ON bookings (ends_at) WHERE health IS NOT NULL OR notes <> '';
