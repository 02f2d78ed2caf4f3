#pragma once
// For storage unit tests: one private MariaDB (migrated) and Redis per test
// binary, started on first use and stopped at exit, and pools pointing at them.

#include <cstdint>
#include <memory>
#include <string>

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

// Creates a user named `prefix` plus a number unique in this test binary;
// returns its id (0 and a test failure if that fails).
std::uint64_t NewTestUser(const std::string& prefix);

}  // namespace im::storage
