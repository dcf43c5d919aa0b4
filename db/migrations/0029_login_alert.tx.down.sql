ALTER TABLE admins DROP COLUMN login_alert_at;
