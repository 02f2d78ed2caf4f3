-- Groups: a group is a conversation of kind 2 with a chat_groups row. Members
-- are conversation_members rows with a role; a member sees the seqs in
-- (visible_after_seq, visible_until_seq], i.e. from the system message that
-- added them to the one that removed them (NULL: still a member). A 1:1
-- member row keeps role 0 and sees everything.

CREATE TABLE chat_groups (
  conv_id       BIGINT UNSIGNED  NOT NULL,
  name          VARCHAR(64)      NOT NULL,
  announcement  VARCHAR(1024)    NOT NULL DEFAULT '',
  owner_id      BIGINT UNSIGNED  NOT NULL,
  mute_all      TINYINT UNSIGNED NOT NULL DEFAULT 0,
  member_count  INT UNSIGNED     NOT NULL DEFAULT 0,
  dissolved     TINYINT UNSIGNED NOT NULL DEFAULT 0,
  created_at_ms BIGINT           NOT NULL,
  PRIMARY KEY (conv_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- role: 0 not a group member (1:1 rows, or removed), 1 member, 2 admin, 3 owner.
-- muted_until_ms: 0 not muted; sends are refused while it lies in the future.
ALTER TABLE conversation_members
  ADD COLUMN role              TINYINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN visible_after_seq BIGINT UNSIGNED  NOT NULL DEFAULT 0,
  ADD COLUMN visible_until_seq BIGINT UNSIGNED  NULL,
  ADD COLUMN muted_until_ms    BIGINT           NOT NULL DEFAULT 0;
