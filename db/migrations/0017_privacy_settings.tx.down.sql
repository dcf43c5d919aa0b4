DROP INDEX bookings_health_ends_idx;
DROP TABLE privacy_settings;
