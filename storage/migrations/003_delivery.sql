-- Typed messages, recall tombstones, and per-device delivery cursors.

ALTER TABLE messages
  ADD COLUMN kind     VARCHAR(16)      NOT NULL DEFAULT 'text',
  ADD COLUMN recalled TINYINT UNSIGNED NOT NULL DEFAULT 0;

-- The highest contiguous seq each device of a user has acknowledged, per
-- conversation. Sync returns what lies beyond it.
CREATE TABLE device_cursors (
  user_id   BIGINT UNSIGNED NOT NULL,
  device_id VARCHAR(64)     NOT NULL,
  conv_id   BIGINT UNSIGNED NOT NULL,
  acked_seq BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id, device_id, conv_id)
) ENGINE=InnoDB;
