-- Events waiting for the operator's after_send webhook (storage/webhook_outbox_store.h).
-- A row is written in the transaction that made its event and deleted once
-- logic delivered it; next_attempt_at_ms is when it is due (again).
CREATE TABLE IF NOT EXISTS webhook_outbox (
  event_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  type VARCHAR(32) NOT NULL,
  body MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  created_at_ms BIGINT NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at_ms BIGINT NOT NULL,
  KEY k_webhook_outbox_due (next_attempt_at_ms)
) ENGINE=InnoDB;
