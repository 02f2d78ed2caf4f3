-- The relationship chain: friend requests, friendships, blocks, and each
-- user's message policy. relation_version grows on every change that affects
-- who may message whom, so a send decided on old facts can be refused.

ALTER TABLE users
  ADD COLUMN message_policy   TINYINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN relation_version BIGINT UNSIGNED  NOT NULL DEFAULT 0;

-- At most one request per direction; a new request reuses the row.
-- state: 1 pending, 2 accepted, 3 declined, 4 withdrawn.
CREATE TABLE friend_requests (
  from_user     BIGINT UNSIGNED  NOT NULL,
  to_user       BIGINT UNSIGNED  NOT NULL,
  state         TINYINT UNSIGNED NOT NULL,
  note          VARCHAR(255)     NOT NULL DEFAULT '',
  created_at_ms BIGINT           NOT NULL,
  updated_at_ms BIGINT           NOT NULL,
  PRIMARY KEY (from_user, to_user),
  KEY k_friend_requests_to (to_user, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Two rows per friendship (one per side) so "my friends" and "is X my
-- friend" are both primary-key lookups.
CREATE TABLE friendships (
  user_id       BIGINT UNSIGNED NOT NULL,
  friend_id     BIGINT UNSIGNED NOT NULL,
  created_at_ms BIGINT          NOT NULL,
  PRIMARY KEY (user_id, friend_id)
) ENGINE=InnoDB;

CREATE TABLE blocks (
  user_id       BIGINT UNSIGNED NOT NULL,
  blocked_id    BIGINT UNSIGNED NOT NULL,
  created_at_ms BIGINT          NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
) ENGINE=InnoDB;
