-- Commenters who asked to hear of replies by e-mail ("Email me replies").
-- One row per thread (the top-level comment) and address while it is not
-- unsubscribed. Double opt-in: nothing but the confirmation is mailed until
-- confirmed_at is set. Links are kept only as SHA-256 hashes of random
-- tokens: confirm_hash (the latest confirmation link, NULL until one is
-- sent) here, unsubscribe links (one per message) in
-- comment_subscription_links. Unsubscribing forgets the address.
CREATE TABLE comment_subscriptions (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	post_id         bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	thread_id       bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE, -- the top-level comment
	comment_id      bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE, -- the subscriber's own comment
	email           text NOT NULL,
	confirm_hash    bytea UNIQUE CHECK (length(confirm_hash) = 32),
	confirm_sent_at timestamptz,
	confirmed_at    timestamptz,
	unsubscribed_at timestamptz,
	created_at      timestamptz NOT NULL DEFAULT now(),
	CHECK (unsubscribed_at IS NOT NULL OR char_length(email) BETWEEN 3 AND 254)
);
CREATE UNIQUE INDEX comment_subscriptions_active_idx ON comment_subscriptions (thread_id, lower(email))
	WHERE unsubscribed_at IS NULL;
CREATE INDEX comment_subscriptions_comment_idx ON comment_subscriptions (comment_id);

CREATE TABLE comment_subscription_links (
	token_hash      bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	subscription_id bigint NOT NULL REFERENCES comment_subscriptions (id) ON DELETE CASCADE,
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comment_subscription_links_subscription_idx ON comment_subscription_links (subscription_id);
