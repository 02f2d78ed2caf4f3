#include "tests/support/database_servers.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/test_env.h"

namespace im::testing {
namespace {

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

MariaDbServer::MariaDbServer() : dir_(MakeTempDir("im-mariadb")), port_(PickFreePort()) {}

MariaDbServer::~MariaDbServer() {
  Stop();
  RemoveTree(dir_);
}

void MariaDbServer::Start() {
  const std::string data = dir_ + "/data";
  // A private tmpdir: parallel test binaries bootstrapping at once must not
  // share temporary tables in /tmp.
  const std::string tmp = dir_ + "/tmp";
  std::filesystem::create_directories(tmp);
  const std::string install =
      "mariadb-install-db --no-defaults --user=root --datadir=" + data + " --tmpdir=" + tmp +
      " --auth-root-authentication-method=normal --skip-test-db > " + dir_ + "/install.log 2>&1";
  if (!std::filesystem::exists(data + "/mysql") && std::system(install.c_str()) != 0) {
    throw std::runtime_error("mariadb-install-db failed:\n" + Tail(dir_ + "/install.log"));
  }
  process_.Start({"/usr/sbin/mariadbd", "--no-defaults", "--user=root", "--datadir=" + data,
                  "--tmpdir=" + tmp, "--socket=" + dir_ + "/sock", "--pid-file=" + dir_ + "/pid",
                  "--port=" + std::to_string(port_), "--bind-address=127.0.0.1",
                  "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=1",
                  "--innodb-buffer-pool-size=64M", "--log-error=" + dir_ + "/error.log"},
                 dir_ + "/mariadbd.log");
  if (!WaitForPort(port_, std::chrono::seconds(60))) {
    throw std::runtime_error("MariaDB did not start:\n" + Tail(dir_ + "/error.log"));
  }
}

void MariaDbServer::Stop() { process_.Stop(std::chrono::seconds(30)); }

RedisServer::RedisServer(std::string password)
    : dir_(MakeTempDir("im-redis")), port_(PickFreePort()), password_(std::move(password)) {}

RedisServer::~RedisServer() {
  Stop();
  RemoveTree(dir_);
}

void RedisServer::Start() {
  std::vector<std::string> argv = {"/usr/bin/redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no"};
  if (!password_.empty()) argv.insert(argv.end(), {"--requirepass", password_});
  process_.Start(argv, dir_ + "/redis.log");
  if (!WaitForPort(port_, std::chrono::seconds(20))) {
    throw std::runtime_error("Redis did not start:\n" + Tail(dir_ + "/redis.log"));
  }
}

void RedisServer::Stop() { process_.Stop(std::chrono::seconds(10)); }

}  // namespace im::testing
