-- The content version: a number that every committed change to what the
-- public pages show moves on, announced on the NOTIFY channel "content"
-- with the new number. Each instance keeps the pages it rendered for
-- visitors without a session until it hears of a change (handlers/shared.go);
-- it also reads the number every few seconds, in case a notification was
-- lost while its listener reconnected. Comments are not here: they already
-- have their own events and channel (comment_events), which every instance
-- hears and catches up on.
--
-- As with the diary's version (0026), triggers move it, deferred to the
-- commit, once per transaction; views and likes, counted all day long, do
-- not (a page shows them as of its render, for at most a minute).
CREATE TABLE content_version (
	id      smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	version bigint NOT NULL DEFAULT 1,
	xact    bigint NOT NULL DEFAULT 0 -- the transaction that last moved it
);
INSERT INTO content_version DEFAULT VALUES;

CREATE FUNCTION content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	v bigint;
BEGIN
	UPDATE content_version SET version = version + 1, xact = txid_current()
		WHERE id = 1 AND xact <> txid_current() RETURNING version INTO v;
	IF FOUND THEN
		PERFORM pg_notify('content', v::text);
	END IF;
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER posts_content AFTER INSERT OR DELETE
	ON posts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_changed();
CREATE CONSTRAINT TRIGGER posts_content_edit AFTER UPDATE
	ON posts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN ((to_jsonb(OLD) - 'views' - 'likes') IS DISTINCT FROM (to_jsonb(NEW) - 'views' - 'likes'))
	EXECUTE FUNCTION content_changed();
CREATE CONSTRAINT TRIGGER post_old_slugs_content AFTER INSERT OR DELETE OR UPDATE
	ON post_old_slugs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_changed();
CREATE CONSTRAINT TRIGGER services_content AFTER INSERT OR DELETE OR UPDATE
	ON services DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_changed();
CREATE CONSTRAINT TRIGGER business_settings_content AFTER INSERT OR DELETE OR UPDATE
	ON business_settings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_changed();

-- TRUNCATE (tests, a restore) has no row triggers.
CREATE TRIGGER posts_content_truncate AFTER TRUNCATE ON posts FOR EACH STATEMENT EXECUTE FUNCTION content_changed();
CREATE TRIGGER services_content_truncate AFTER TRUNCATE ON services FOR EACH STATEMENT EXECUTE FUNCTION content_changed();
CREATE TRIGGER business_settings_content_truncate AFTER TRUNCATE ON business_settings FOR EACH STATEMENT EXECUTE FUNCTION content_changed();
