-- Customer-service desks (storage/desk_store.h): a ticket is one customer's
-- conversation with a desk (a service account), held by one agent or queued
-- (agent_id NULL) until one is online. open_customer_id is the customer while
-- the ticket is open and NULL once closed: at most one open ticket per
-- customer and desk.
CREATE TABLE IF NOT EXISTS desk_tickets (
  ticket_id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  desk_id          BIGINT UNSIGNED NOT NULL,
  customer_id      BIGINT UNSIGNED NOT NULL,
  agent_id         BIGINT UNSIGNED NULL,
  open_customer_id BIGINT UNSIGNED NULL,
  opened_at_ms     BIGINT NOT NULL,
  assigned_at_ms   BIGINT NULL,
  closed_at_ms     BIGINT NULL,
  UNIQUE KEY uk_desk_tickets_open (desk_id, open_customer_id),
  KEY k_desk_tickets_agent (desk_id, agent_id, closed_at_ms)
) ENGINE=InnoDB;
