-- The (hashed) client address a hold came from: one address may hold only a
-- few times at once, so that nobody can keep the diary full of holds by
-- dropping their cookies.
ALTER TABLE bookings ADD COLUMN hold_ip bytea;
CREATE INDEX bookings_hold_ip_idx ON bookings (hold_ip) WHERE status = 'held';
