DROP TABLE calendar_feed;
DROP TABLE contact_messages;
