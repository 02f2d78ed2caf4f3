#pragma once
// Numbered schema migrations (storage/migrations/NNN_name.sql, embedded in the
// binary at build time) and the step that applies the missing ones at start-up.

#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace im::storage {

class MysqlConnection;

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every migration, ordered by version.
const std::vector<Migration>& AllMigrations();

// Applies, in order, each migration newer than the database's recorded
// version and records it in schema_migrations. Safe to run from several
// im-storage replicas at once: they serialise on a named MySQL lock.
absl::Status ApplyMigrations(MysqlConnection& conn);

}  // namespace im::storage
