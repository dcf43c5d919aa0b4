-- The diary's version: a number that every committed change to what the
-- free times are computed from moves on, so that each instance can tell
-- with one single-row read whether the free times it keeps are still
-- current (booking.Desk.FreeTimes). Triggers, not the Go code, move it: no
-- writer, today's or a future one, can forget to.
CREATE TABLE diary_version (
	id      smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	version bigint NOT NULL DEFAULT 1,
	xact    bigint NOT NULL DEFAULT 0 -- the transaction that last moved it
);
INSERT INTO diary_version DEFAULT VALUES;

-- Moves the version on, once per transaction. The row triggers below are
-- deferred to the commit, so the row's lock is the last lock a transaction
-- takes and is held only while it commits: writers that already queue on
-- the booking lock cannot deadlock on it. A later transaction waiting on
-- the lock re-reads the row, sees another xact and moves it on again, so
-- versions follow the order of the commits. (A later migration that
-- changes rows of these tables and then alters one of them in the same
-- transaction must first SET CONSTRAINTS ALL IMMEDIATE: PostgreSQL refuses
-- to alter a table with trigger events pending.)
CREATE FUNCTION diary_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE diary_version SET version = version + 1, xact = txid_current()
		WHERE id = 1 AND xact <> txid_current();
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER bookings_diary AFTER INSERT OR DELETE OR UPDATE OF
		service_id, place, starts_at, ends_at, blocked_from, blocked_to, status, hold_owner, hold_expires_at
	ON bookings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION diary_changed();
CREATE CONSTRAINT TRIGGER time_off_diary AFTER INSERT OR DELETE OR UPDATE
	ON time_off DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION diary_changed();
CREATE CONSTRAINT TRIGGER working_hours_diary AFTER INSERT OR DELETE OR UPDATE
	ON working_hours DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION diary_changed();
CREATE CONSTRAINT TRIGGER schedule_settings_diary AFTER INSERT OR DELETE OR UPDATE
	ON schedule_settings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION diary_changed();
CREATE CONSTRAINT TRIGGER services_diary AFTER INSERT OR DELETE OR UPDATE
	ON services DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION diary_changed();

-- TRUNCATE (tests, a restore) has no row triggers.
CREATE TRIGGER bookings_diary_truncate AFTER TRUNCATE ON bookings FOR EACH STATEMENT EXECUTE FUNCTION diary_changed();
CREATE TRIGGER time_off_diary_truncate AFTER TRUNCATE ON time_off FOR EACH STATEMENT EXECUTE FUNCTION diary_changed();
CREATE TRIGGER working_hours_diary_truncate AFTER TRUNCATE ON working_hours FOR EACH STATEMENT EXECUTE FUNCTION diary_changed();
CREATE TRIGGER schedule_settings_diary_truncate AFTER TRUNCATE ON schedule_settings FOR EACH STATEMENT EXECUTE FUNCTION diary_changed();
CREATE TRIGGER services_diary_truncate AFTER TRUNCATE ON services FOR EACH STATEMENT EXECUTE FUNCTION diary_changed();
