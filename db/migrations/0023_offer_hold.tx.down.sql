ALTER TABLE schedule_settings DROP COLUMN offer_hold_min;
