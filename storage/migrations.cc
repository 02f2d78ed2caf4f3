#include "storage/migrations.h"

#include "common/logging.h"
#include "common/str_cat.h"
#include "storage/mysql_connection.h"

namespace im::storage {
namespace {

absl::Status ApplyMissing(MysqlConnection& conn) {
  auto current = conn.Execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!current.ok()) return current.status();
  const std::int64_t applied = current->rows.at(0).I64(0);
  auto log = common::GetLogger("storage");
  for (const Migration& m : AllMigrations()) {
    if (m.version <= applied) continue;
    // DDL commits implicitly in MySQL, so a failure part-way needs an operator;
    // the error says which migration.
    if (auto s = conn.ExecuteScript(m.sql); !s.ok()) {
      return absl::Status(s.code(), common::StrCat("migration ", m.name, ": ", s.message()));
    }
    auto recorded = conn.Execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                                 {static_cast<std::int64_t>(m.version), m.name});
    if (!recorded.ok()) return recorded.status();
    log->info("event=migration_applied version={} name={}", m.version, m.name);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyMigrations(MysqlConnection& conn) {
  if (auto s = conn.ExecuteScript(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version INT NOT NULL PRIMARY KEY, name VARCHAR(128) NOT NULL,"
          " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB");
      !s.ok()) {
    return s;
  }
  auto locked = conn.Execute("SELECT GET_LOCK('im_schema_migrations', 60)", {});
  if (!locked.ok()) return locked.status();
  if (locked->rows.at(0).I64(0) != 1) {
    return absl::DeadlineExceededError("timed out waiting for another migrator");
  }
  absl::Status status = ApplyMissing(conn);
  conn.Execute("SELECT RELEASE_LOCK('im_schema_migrations')", {}).IgnoreError();
  return status;
}

}  // namespace im::storage
