DROP TABLE services;
DROP TABLE business_settings;
