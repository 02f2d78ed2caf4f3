-- A one-to-one conversation was made by three statements that each committed
-- on their own: the conversation, then its two member rows. A creator that
-- died (kill -9 of im-storage) or deadlocked with a racing creator between
-- them left a conversation without members; it was never repaired, and
-- nothing sent in it reached either user's Sync (only pushes to devices
-- online at the time). Creation is one transaction now; this writes the
-- missing member rows of conversations made before (peer_key is
-- "<lower user id>:<higher user id>").
INSERT IGNORE INTO conversation_members (conv_id, user_id)
  SELECT conv_id, CAST(SUBSTRING_INDEX(peer_key, ':', 1) AS UNSIGNED)
    FROM conversations WHERE kind = 1 AND peer_key IS NOT NULL
  UNION ALL
  SELECT conv_id, CAST(SUBSTRING_INDEX(peer_key, ':', -1) AS UNSIGNED)
    FROM conversations WHERE kind = 1 AND peer_key IS NOT NULL;
