#include "storage/storage_test_env.h"

#include <gtest/gtest.h>

#include <atomic>

#include "storage/migrations.h"
#include "tests/support/database_servers.h"

namespace im::storage {
namespace {

struct Servers {
  testing::MariaDbServer mariadb;
  testing::RedisServer redis;
  StorageTestEnv env;
};

Servers* StartServers() {
  auto* s = new Servers();
  s->mariadb.Start();
  s->redis.Start();
  s->env.mysql.port = s->mariadb.port();
  s->env.mysql.database = "";
  auto conn = MysqlConnection::Connect(s->env.mysql);
  if (!conn.ok()) throw std::runtime_error(std::string(conn.status().message()));
  auto created = (*conn)->ExecuteScript("CREATE DATABASE im_test");
  if (!created.ok()) throw std::runtime_error(std::string(created.message()));
  s->env.mysql.database = "im_test";
  auto migrated_conn = MysqlConnection::Connect(s->env.mysql);
  if (!migrated_conn.ok()) throw std::runtime_error(std::string(migrated_conn.status().message()));
  auto migrated = ApplyMigrations(**migrated_conn);
  if (!migrated.ok()) throw std::runtime_error(std::string(migrated.message()));
  s->env.redis.port = s->redis.port();
  s->env.mysql_pool =
      std::make_unique<MysqlPool>([o = s->env.mysql] { return MysqlConnection::Connect(o); }, 8);
  s->env.redis_pool =
      std::make_unique<RedisPool>([o = s->env.redis] { return RedisConnection::Connect(o); }, 4);
  return s;
}

// Stops the servers when the test binary ends.
class ServersEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    delete servers;
    servers = nullptr;
  }
  Servers* servers = nullptr;
};

ServersEnvironment* environment =
    static_cast<ServersEnvironment*>(::testing::AddGlobalTestEnvironment(new ServersEnvironment));

}  // namespace

std::uint64_t NewTestUser(const std::string& prefix) {
  static std::atomic<int> counter{0};
  UserStore users(GetStorageTestEnv().mysql_pool.get());
  auto id = users.CreateUser(prefix + "_" + std::to_string(++counter), "hash");
  EXPECT_TRUE(id.ok()) << id.status();
  return id.value_or(0);
}

StorageTestEnv& GetStorageTestEnv() {
  if (environment->servers == nullptr) environment->servers = StartServers();
  return environment->servers->env;
}

}  // namespace im::storage
