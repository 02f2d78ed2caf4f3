-- Expired sessions are deleted in small batches (UserStore::DeleteExpiredSessions).
ALTER TABLE sessions ADD KEY k_sessions_expiry (expires_at_ms);
