ALTER TABLE waitlist_offers DROP COLUMN taken_by;
