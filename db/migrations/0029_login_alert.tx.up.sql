-- When the therapist was last told by e-mail that wrong passwords were
-- being tried on her login: the notice goes out at most once a day, however
-- many instances count the failures (db.ClaimLoginAlert).
ALTER TABLE admins ADD COLUMN login_alert_at timestamptz;
