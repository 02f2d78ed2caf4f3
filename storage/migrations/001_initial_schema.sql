-- Accounts, login sessions, conversations and their messages.

CREATE TABLE users (
  user_id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  username      VARCHAR(32)     NOT NULL,
  password_hash VARCHAR(255)    NOT NULL,
  created_at_ms BIGINT          NOT NULL,
  PRIMARY KEY (user_id),
  UNIQUE KEY uk_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A session token is stored only as its hash.
CREATE TABLE sessions (
  token_hash    VARBINARY(64)   NOT NULL,
  user_id       BIGINT UNSIGNED NOT NULL,
  device_id     VARCHAR(64)     NOT NULL,
  created_at_ms BIGINT          NOT NULL,
  expires_at_ms BIGINT          NOT NULL,
  PRIMARY KEY (token_hash),
  KEY k_sessions_user (user_id)
) ENGINE=InnoDB;

-- kind 1 = one-to-one. peer_key ("<low user id>:<high user id>") makes the
-- conversation between two users unique. max_seq is the last assigned seq;
-- it is only changed under the row lock inside the append transaction.
CREATE TABLE conversations (
  conv_id       BIGINT UNSIGNED  NOT NULL AUTO_INCREMENT,
  kind          TINYINT UNSIGNED NOT NULL,
  peer_key      VARCHAR(64)      NULL,
  max_seq       BIGINT UNSIGNED  NOT NULL DEFAULT 0,
  created_at_ms BIGINT           NOT NULL,
  PRIMARY KEY (conv_id),
  UNIQUE KEY uk_conversations_peer_key (peer_key)
) ENGINE=InnoDB;

CREATE TABLE conversation_members (
  conv_id  BIGINT UNSIGNED NOT NULL,
  user_id  BIGINT UNSIGNED NOT NULL,
  read_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (conv_id, user_id),
  KEY k_members_user (user_id)
) ENGINE=InnoDB;

-- One row per message, keyed by (conv_id, seq). client_msg_id is unique per
-- sender so a resend finds the original.
CREATE TABLE messages (
  msg_id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  conv_id       BIGINT UNSIGNED NOT NULL,
  seq           BIGINT UNSIGNED NOT NULL,
  sender_id     BIGINT UNSIGNED NOT NULL,
  client_msg_id VARCHAR(64)     NULL,
  body          MEDIUMTEXT      NOT NULL,
  sent_at_ms    BIGINT          NOT NULL,
  PRIMARY KEY (msg_id),
  UNIQUE KEY uk_messages_conv_seq (conv_id, seq),
  UNIQUE KEY uk_messages_sender_client_id (sender_id, client_msg_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
