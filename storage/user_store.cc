#include "storage/user_store.h"

#include "common/clock.h"
#include "storage/sql_batch.h"

namespace im::storage {

absl::StatusOr<std::uint64_t> UserStore::CreateUser(std::string_view username,
                                                    std::string_view password_hash) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto result = (*conn)->Execute(
      "INSERT INTO users (username, password_hash, created_at_ms) VALUES (?, ?, ?)",
      {username, password_hash, common::NowMs()});
  if (result.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("username is already taken");
  }
  if (!result.ok()) return result.status();
  return result->insert_id;
}

absl::StatusOr<internal::User> UserStore::FindOne(std::string_view sql, SqlParam key) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto result = (*conn)->Execute(sql, {key});
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return absl::NotFoundError("no such user");
  const SqlRow& row = result->rows.front();
  internal::User user;
  user.set_user_id(row.U64(0));
  user.set_username(row.Str(1));
  user.set_password_hash(row.Str(2));
  user.set_created_at_ms(row.I64(3));
  return user;
}

absl::StatusOr<internal::User> UserStore::FindByName(std::string_view username) {
  return FindOne(
      "SELECT user_id, username, password_hash, created_at_ms FROM users WHERE username = ?",
      username);
}

absl::StatusOr<internal::User> UserStore::FindById(std::uint64_t user_id) {
  return FindOne(
      "SELECT user_id, username, password_hash, created_at_ms FROM users WHERE user_id = ?",
      user_id);
}

absl::Status UserStore::CreateSession(std::string_view token_hash, std::uint64_t user_id,
                                      std::string_view device_id, std::int64_t ttl_seconds) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::int64_t now = common::NowMs();
  return (*conn)
      ->Execute(
          "INSERT INTO sessions (token_hash, user_id, device_id, created_at_ms, expires_at_ms)"
          " VALUES (?, ?, ?, ?, ?)",
          {token_hash, user_id, device_id, now, now + ttl_seconds * 1000})
      .status();
}

absl::StatusOr<bool> UserStore::RevokeSession(std::string_view token_hash, std::uint64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto deleted = (*conn)->Execute("DELETE FROM sessions WHERE token_hash = ? AND user_id = ?",
                                  {token_hash, user_id});
  if (!deleted.ok()) return deleted.status();
  return deleted->affected_rows > 0;
}

absl::StatusOr<internal::ListSessionsResponse> UserStore::ListSessions(std::uint64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto result = (*conn)->Execute(
      "SELECT device_id, created_at_ms, expires_at_ms FROM sessions"
      " WHERE user_id = ? AND expires_at_ms > ? ORDER BY created_at_ms, device_id",
      {user_id, common::NowMs()});
  if (!result.ok()) return result.status();
  internal::ListSessionsResponse list;
  for (const SqlRow& row : result->rows) {
    auto* session = list.add_sessions();
    session->set_device_id(row.Str(0));
    session->set_created_at_ms(row.I64(1));
    session->set_expires_at_ms(row.I64(2));
  }
  return list;
}

absl::StatusOr<internal::RevokeSessionsResponse> UserStore::RevokeSessions(
    const internal::RevokeSessionsRequest& request) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string_view which = request.all_but_device() ? "device_id <> ?" : "device_id = ?";
  internal::RevokeSessionsResponse response;
  absl::Status status = RunTransaction(**conn, [&]() -> absl::Status {
    response.Clear();
    if (!request.password_hash().empty()) {
      auto set = (*conn)->Execute("UPDATE users SET password_hash = ? WHERE user_id = ?",
                                  {request.password_hash(), request.user_id()});
      if (!set.ok()) return set.status();
      if (set->affected_rows == 0) return absl::NotFoundError("no such user");
    }
    auto devices = (*conn)->Execute(
        common::StrCat("SELECT DISTINCT device_id FROM sessions WHERE user_id = ? AND ", which,
                       " FOR UPDATE"),
        {request.user_id(), request.device_id()});
    if (!devices.ok()) return devices.status();
    for (const SqlRow& row : devices->rows) response.add_devices(row.Str(0));
    auto deleted =
        (*conn)->Execute(common::StrCat("DELETE FROM sessions WHERE user_id = ? AND ", which),
                         {request.user_id(), request.device_id()});
    if (!deleted.ok()) return deleted.status();
    response.set_revoked(static_cast<std::uint32_t>(deleted->affected_rows));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<std::uint64_t> UserStore::DeleteExpiredSessions(std::uint32_t limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto deleted = (*conn)->Execute("DELETE FROM sessions WHERE expires_at_ms <= ? LIMIT ?",
                                  {common::NowMs(), static_cast<std::uint64_t>(limit)});
  if (!deleted.ok()) return deleted.status();
  return deleted->affected_rows;
}

absl::StatusOr<internal::ResumeSessionResponse> UserStore::FindSession(
    std::string_view token_hash) {
  auto found = FindSessions({std::string(token_hash)});
  if (!found.ok()) return found.status();
  if (found->empty()) return absl::NotFoundError("session expired or unknown");
  return std::move(found->begin()->second);
}

absl::StatusOr<std::unordered_map<std::string, internal::ResumeSessionResponse>>
UserStore::FindSessions(const std::vector<std::string>& token_hashes) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  std::unordered_map<std::string, internal::ResumeSessionResponse> sessions;
  const std::int64_t now = common::NowMs();
  absl::Status status = ForEachSizedBatch(
      token_hashes.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
        std::vector<SqlParam> params;
        for (std::size_t i = 0; i < rows; ++i) {
          params.emplace_back(token_hashes[begin + i < end ? begin + i : begin]);
        }
        params.emplace_back(now);
        auto result = (*conn)->Execute(
            // An IN list on the primary key (token hashes are binary: compared
            // as the column's type, unlike a derived table's text column).
            common::StrCat("SELECT s.token_hash, s.user_id, s.device_id, u.username FROM sessions s"
                           " JOIN users u ON u.user_id = s.user_id WHERE s.token_hash IN (",
                           Repeat("?", rows), ") AND s.expires_at_ms > ?"),
            params);
        if (!result.ok()) return result.status();
        for (const SqlRow& row : result->rows) {
          internal::ResumeSessionResponse session;
          session.set_user_id(row.U64(1));
          session.set_device_id(row.Str(2));
          session.set_username(row.Str(3));
          sessions.emplace(row.Str(0), std::move(session));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return sessions;
}

}  // namespace im::storage
