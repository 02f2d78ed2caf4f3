#pragma once
// For storage unit tests: one private MariaDB (migrated) and Redis per test
// binary, started on first use and stopped at exit, and pools pointing at them.

#include <memory>

#include "storage/mysql_connection.h"
#include "storage/redis_connection.h"
#include "storage/route_store.h"
#include "storage/user_store.h"

namespace im::storage {

struct StorageTestEnv {
  MysqlOptions mysql;
  RedisOptions redis;
  std::unique_ptr<MysqlPool> mysql_pool;
  std::unique_ptr<RedisPool> redis_pool;
};

// Starts the servers on first call (asserting they came up and migrated).
StorageTestEnv& GetStorageTestEnv();

}  // namespace im::storage
