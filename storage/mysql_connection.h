#pragma once
// One MySQL/MariaDB connection that runs prepared statements only. Statements
// are prepared on first use and cached per connection. Not thread-safe: one
// user at a time (ConnectionPool hands it out).
//
// Errors are mapped once, here: duplicate key -> ALREADY_EXISTS, deadlock or
// lock wait timeout -> ABORTED (retry the transaction), lost or refused
// connection -> UNAVAILABLE (and broken() becomes true), anything else ->
// INTERNAL; at Connect, a refused user or password -> PERMISSION_DENIED
// (retrying cannot help). Messages never contain parameter values.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

struct st_mysql;
struct st_mysql_stmt;

namespace im::storage {

struct MysqlOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "root";
  std::string password;
  std::string database = "im";
  int timeout_seconds = 5;
};

using SqlParam = std::variant<std::nullptr_t, std::int64_t, std::uint64_t, std::string_view>;

// One result row; columns are read by index in SELECT order.
class SqlRow {
 public:
  explicit SqlRow(std::vector<std::optional<std::string>> columns) : columns_(std::move(columns)) {}
  bool IsNull(std::size_t i) const { return !columns_.at(i).has_value(); }
  std::uint64_t U64(std::size_t i) const;
  std::int64_t I64(std::size_t i) const;
  const std::string& Str(std::size_t i) const;

 private:
  std::vector<std::optional<std::string>> columns_;
};

struct SqlResult {
  std::vector<SqlRow> rows;
  std::uint64_t affected_rows = 0;
  std::uint64_t insert_id = 0;
};

class MysqlConnection {
 public:
  static absl::StatusOr<std::unique_ptr<MysqlConnection>> Connect(const MysqlOptions& options);
  ~MysqlConnection();
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  // Runs `sql` with `params` bound to its `?` placeholders.
  absl::StatusOr<SqlResult> Execute(std::string_view sql, std::initializer_list<SqlParam> params) {
    return Execute(sql, std::span<const SqlParam>(params.begin(), params.size()));
  }
  // The same with a parameter list built at run time (batched statements).
  absl::StatusOr<SqlResult> Execute(std::string_view sql, std::span<const SqlParam> params);

  // Runs a statement that takes no parameters and returns no rows (DDL,
  // migrations). Not for anything built from input.
  absl::Status ExecuteScript(std::string_view sql);

  absl::Status Begin();
  absl::Status Commit();
  void Rollback();

  bool broken() const { return broken_; }

 private:
  explicit MysqlConnection(st_mysql* mysql) : mysql_(mysql) {}
  absl::StatusOr<st_mysql_stmt*> Prepare(std::string_view sql);
  absl::Status ErrorFromCode(unsigned code, std::string_view detail, std::string_view what);

  st_mysql* mysql_;
  std::map<std::string, st_mysql_stmt*, std::less<>> statements_;
  bool broken_ = false;
};

// Runs `body` inside a transaction and commits, or rolls back if it fails.
// Retries up to `attempts` times when the body or commit returns ABORTED
// (deadlock). `body` must be safe to re-run.
template <typename Body>
absl::Status RunTransaction(MysqlConnection& conn, Body&& body, int attempts = 3) {
  absl::Status status;
  for (int i = 0; i < attempts; ++i) {
    status = conn.Begin();
    if (!status.ok()) return status;
    status = body();
    if (status.ok()) status = conn.Commit();
    if (status.ok()) return status;
    conn.Rollback();
    if (status.code() != absl::StatusCode::kAborted) return status;
  }
  return status;
}

}  // namespace im::storage
