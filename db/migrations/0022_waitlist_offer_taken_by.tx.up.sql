-- Who last took an offer through its link: the hash of their session's hold
-- key. When that visitor books any time of the entry's day, place and
-- service (not only the offered one), the offer and its entry are done.
ALTER TABLE waitlist_offers ADD COLUMN taken_by bytea;
