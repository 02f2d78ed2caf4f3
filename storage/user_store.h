#pragma once
// Accounts and login sessions in MySQL. Thread-safe: every call leases its own
// connection from the pool. Blocking: call from a worker thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/connection_pool.h"
#include "storage/mysql_connection.h"

namespace im::storage {

using MysqlPool = ConnectionPool<MysqlConnection>;

class UserStore {
 public:
  explicit UserStore(MysqlPool* pool) : pool_(pool) {}

  // Returns the new user id, or ALREADY_EXISTS if the name is taken.
  absl::StatusOr<std::uint64_t> CreateUser(std::string_view username,
                                           std::string_view password_hash);
  // NOT_FOUND if there is no such user.
  absl::StatusOr<internal::User> FindByName(std::string_view username);
  absl::StatusOr<internal::User> FindById(std::uint64_t user_id);

  absl::Status CreateSession(std::string_view token_hash, std::uint64_t user_id,
                             std::string_view device_id, std::int64_t ttl_seconds);
  // Deletes the session `token_hash` names if it is `user_id`'s; whether it did.
  absl::StatusOr<bool> RevokeSession(std::string_view token_hash, std::uint64_t user_id);
  // The user's unexpired sessions, oldest first.
  absl::StatusOr<internal::ListSessionsResponse> ListSessions(std::uint64_t user_id);
  // See RevokeSessionsRequest: deletes the sessions of one device (or of all
  // but one), and sets the password if one is given, in one transaction.
  absl::StatusOr<internal::RevokeSessionsResponse> RevokeSessions(
      const internal::RevokeSessionsRequest& request);
  // Deletes up to `limit` sessions that expired; how many it deleted.
  absl::StatusOr<std::uint64_t> DeleteExpiredSessions(std::uint32_t limit);
  // The user (id and name) and device of the session `token_hash` names, in
  // one query. NOT_FOUND if the token is unknown or expired.
  absl::StatusOr<internal::ResumeSessionResponse> FindSession(std::string_view token_hash);
  // The same for many tokens in a few queries: the sessions found, by token
  // hash (unknown or expired tokens are absent).
  absl::StatusOr<std::unordered_map<std::string, internal::ResumeSessionResponse>> FindSessions(
      const std::vector<std::string>& token_hashes);

 private:
  absl::StatusOr<internal::User> FindOne(std::string_view sql, SqlParam key);

  MysqlPool* pool_;
};

}  // namespace im::storage
