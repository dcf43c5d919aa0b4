DROP TABLE comment_subscription_links;
DROP TABLE comment_subscriptions;
