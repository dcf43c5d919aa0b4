DROP TABLE bookings;
DROP TABLE time_off;
DROP TABLE working_hours;
DROP TABLE schedule_settings;
