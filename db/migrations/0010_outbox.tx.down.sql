DROP TABLE booking_links;
DROP TABLE outbox;
