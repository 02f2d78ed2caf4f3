#include "tests/support/test_cluster.h"

#include <signal.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "storage/redis_connection.h"
#include "tests/support/http_request.h"
#include "tests/support/test_env.h"

namespace im::testing {
namespace {

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// "storage.log" for one replica, "storage-2.log" for the second of several.
std::string ReplicaLog(const std::string& dir, const std::string& daemon, int replica) {
  return dir + "/" + daemon + (replica == 0 ? "" : "-" + std::to_string(replica + 1)) + ".log";
}

void WaitUp(ChildProcess& process, int port, const std::string& name) {
  if (!WaitForPort(port, std::chrono::seconds(30))) {
    throw std::runtime_error(name + " did not start; see " + process.log_path());
  }
}

}  // namespace

TestCluster::Tier::Tier(int replicas) {
  for (int i = 0; i < replicas; ++i) {
    ports.push_back(PickFreePort());
    metrics_ports.push_back(PickFreePort());
    processes.push_back(std::make_unique<ChildProcess>());
  }
}

std::string TestCluster::Tier::Target() const {
  std::string target;
  for (int port : ports) target += (target.empty() ? "" : ",") + Loopback(port);
  return target;
}

bool TestCluster::Tier::AnyRunning() const {
  for (const auto& p : processes) {
    if (p->pid() > 0) return true;
  }
  return false;
}

void TestCluster::Tier::StopAll() {
  for (auto& p : processes) p->Stop();
}

void TestCluster::Tier::KillAll() {
  for (auto& p : processes) p->Kill();
}

TestCluster::TestCluster(ClusterOptions options)
    : options_(options),
      dir_(MakeTempDir("im-cluster")),
      storage_(options.storage_replicas),
      logic_(options.logic_replicas) {
  for (int i = 0; i < options_.access_nodes; ++i) {
    access_ports_.push_back(PickFreePort());
    push_ports_.push_back(PickFreePort());
    access_metrics_ports_.push_back(PickFreePort());
    websocket_ports_.push_back(options_.websocket ? PickFreePort() : 0);
    poll_ports_.push_back(options_.long_poll ? PickFreePort() : 0);
    access_.push_back(std::make_unique<ChildProcess>());
  }
  mariadb_.Start();
  redis_.Start();
  StartStorage();
  StartLogic();
  for (int i = 0; i < options_.access_nodes; ++i) StartAccess(i);
}

TestCluster::~TestCluster() {
  for (auto& a : access_) a->Stop();
  logic_.StopAll();
  storage_.StopAll();
  db_.reset();
  if (std::getenv("IM_KEEP_TEST_LOGS") == nullptr) RemoveTree(dir_);
}

std::vector<std::string> TestCluster::CommonFlags(const std::string& daemon) const {
  std::vector<std::string> argv = {
      std::string(IM_BINARY_DIR) + "/" + daemon + "/im-" + daemon,
      "--config=" + std::string(IM_SOURCE_DIR) + "/deploy/config/im-" + daemon + ".toml",
      "--log_level=debug"};
  if (const std::string& tls = options_.internal_tls_dir; !tls.empty()) {
    argv.insert(argv.end(), {"--internal_tls.ca_file=" + tls + "/ca.pem",
                             "--internal_tls.cert_file=" + tls + "/internal.pem",
                             "--internal_tls.key_file=" + tls + "/internal-key.pem"});
  }
  return argv;
}

std::vector<std::string> TestCluster::StorageCommand(const std::vector<std::string>& extra_flags,
                                                     int replica) const {
  auto argv = CommonFlags("storage");
  argv.insert(argv.end(), {"--listen=" + Loopback(storage_.ports[replica]),
                           "--mysql.port=" + std::to_string(mariadb_.port()),
                           "--redis.port=" + std::to_string(redis_.port()), "--workers=8",
                           "--mysql.pool_size=8",
                           "--metrics_listen=" + Loopback(storage_.metrics_ports[replica])});
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  return argv;
}

void TestCluster::StartStorageReplica(int replica) {
  auto& process = *storage_.processes[replica];
  process.Start(StorageCommand({}, replica), ReplicaLog(dir_, "storage", replica));
  WaitUp(process, storage_.ports[replica], "im-storage");
}

void TestCluster::StartStorage() {
  for (int i = 0; i < options_.storage_replicas; ++i) StartStorageReplica(i);
  if (logic_.AnyRunning()) WaitUntilAccessServing();
}

void TestCluster::WaitUntilAccessServing() {
  for (std::size_t node = 0; node < access_.size(); ++node) {
    if (access_[node]->pid() <= 0) continue;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (HttpGet(access_metrics_address(static_cast<int>(node)), "/healthz")
               .rfind("HTTP/1.1 200", 0) != 0) {
      if (std::chrono::steady_clock::now() > until) {
        throw std::runtime_error("im-access node " + std::to_string(node + 1) +
                                 " is not serving after 20 s; see " + access_[node]->log_path());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void TestCluster::StartLogicReplica(int replica) {
  auto argv = CommonFlags("logic");
  // Cheaper argon2id parameters keep registration fast in tests.
  argv.insert(
      argv.end(),
      {"--listen=" + Loopback(logic_.ports[replica]), "--storage_target=" + storage_.Target(),
       "--password.ops_limit=1", "--password.mem_limit_kib=8192", "--storage_timeout_ms=2000",
       // Below access's 2 s logic timeout, with room for the hash and storage.
       "--password_queue_max_wait_ms=800",
       // Every test logs in from 127.0.0.1: the address scope would
       // throttle tests by each other (LoginGuardTest covers it).
       "--login.free_failures_per_address=100000",
       // Tests send as fast as they can; rate_limits_test.cc restarts
       // logic with small limits.
       "--limits.messages_per_minute=0", "--limits.friend_requests_per_minute=0",
       "--limits.group_changes_per_minute=0", "--limits.registrations_per_minute_per_address=0",
       "--storage_streams=" + std::to_string(storage_.ports.size()),
       "--stream_rebalance_ms=" + std::to_string(kTestStreamRebalanceMs),
       "--metrics_listen=" + Loopback(logic_.metrics_ports[replica])});
  argv.insert(argv.end(), logic_extra_flags_.begin(), logic_extra_flags_.end());
  auto& process = *logic_.processes[replica];
  process.Start(argv, ReplicaLog(dir_, "logic", replica));
  WaitUp(process, logic_.ports[replica], "im-logic");
}

void TestCluster::StartLogic(const std::vector<std::string>& extra_flags) {
  logic_extra_flags_ = extra_flags;
  for (int i = 0; i < options_.logic_replicas; ++i) StartLogicReplica(i);
  WaitUntilAccessServing();
}

void TestCluster::StartAccess(int node, const std::vector<std::string>& extra_flags) {
  auto argv = CommonFlags("access");
  argv.insert(
      argv.end(),
      {"--listen=" + Loopback(access_ports_[node]), "--push_listen=" + Loopback(push_ports_[node]),
       "--node_id=access-" + std::to_string(node + 1), "--logic_target=" + logic_.Target(),
       "--io_threads=2", "--logic_timeout_ms=2000",
       // Plain TCP unless a test gives TLS files (tls_test.cc).
       "--allow_plaintext=true", "--logic_streams=" + std::to_string(logic_.ports.size()),
       "--stream_rebalance_ms=" + std::to_string(kTestStreamRebalanceMs),
       "--node_lease_ms=" + std::to_string(kTestLeaseMs),
       "--metrics_listen=" + Loopback(access_metrics_ports_[node]),
       "--login_timeout_ms=" + std::to_string(options_.login_timeout_ms),
       "--idle_timeout_ms=" + std::to_string(options_.idle_timeout_ms),
       "--max_frame_bytes=" + std::to_string(options_.max_frame_bytes),
       // Tests send megabytes as fast as they can; bad_input_test.cc
       // restarts a node with a small limit.
       "--max_bytes_per_second=0"});
  if (options_.websocket) {
    argv.insert(argv.end(), {"--websocket_listen=" + Loopback(websocket_ports_[node]),
                             "--websocket_path=/im"});
  }
  if (options_.long_poll) {
    argv.insert(argv.end(), {"--poll_listen=" + Loopback(poll_ports_[node]),
                             "--poll_path=/poll", "--poll_timeout_ms=2000"});
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  access_[node]->Start(argv, dir_ + "/access-" + std::to_string(node + 1) + ".log");
  WaitUp(*access_[node], access_ports_[node], "im-access");
  WaitUp(*access_[node], push_ports_[node], "im-access push service");
  if (options_.websocket) WaitUp(*access_[node], websocket_ports_[node], "im-access WebSocket");
  if (options_.long_poll) WaitUp(*access_[node], poll_ports_[node], "im-access long-poll");
  if (logic_.AnyRunning()) WaitUntilAccessServing();
}

void TestCluster::SignalLogic(int signal) {
  for (auto& process : logic_.processes) {
    if (process->pid() > 0) kill(process->pid(), signal);
  }
}

void TestCluster::RestartDaemons() {
  for (auto& a : access_) a->Stop();
  logic_.StopAll();
  storage_.StopAll();
  StartStorage();
  StartLogic();
  for (int i = 0; i < options_.access_nodes; ++i) StartAccess(i);
}

std::string TestCluster::access_address(int node) const { return Loopback(access_ports_[node]); }

std::string TestCluster::websocket_address(int node) const {
  return "ws://" + Loopback(websocket_ports_[node]) + "/im";
}

std::string TestCluster::poll_address(int node) const {
  return "http://" + Loopback(poll_ports_[node]) + "/poll";
}

void TestCluster::FlushRedis() {
  storage::RedisOptions options;
  options.port = redis_.port();
  auto conn = storage::RedisConnection::Connect(options);
  if (!conn.ok()) throw std::runtime_error(std::string(conn.status().message()));
  auto flushed = (*conn)->Command({"FLUSHALL"});
  if (!flushed.ok()) throw std::runtime_error(std::string(flushed.status().message()));
}

std::string TestCluster::ProcessList() const {
  std::string list = "mariadbd=" + std::to_string(mariadb_.pid()) +
                     ",redis-server=" + std::to_string(redis_.pid()) +
                     ",im-storage=" + std::to_string(storage_.processes[0]->pid()) +
                     ",im-logic=" + std::to_string(logic_.processes[0]->pid());
  for (std::size_t i = 1; i < storage_.processes.size(); ++i) {
    list +=
        ",im-storage#" + std::to_string(i + 1) + "=" + std::to_string(storage_.processes[i]->pid());
  }
  for (std::size_t i = 1; i < logic_.processes.size(); ++i) {
    list += ",im-logic#" + std::to_string(i + 1) + "=" + std::to_string(logic_.processes[i]->pid());
  }
  for (std::size_t i = 0; i < access_.size(); ++i) {
    list += ",im-access#" + std::to_string(i + 1) + "=" + std::to_string(access_[i]->pid());
  }
  return list;
}

void TestCluster::PauseMariaDb() { ::kill(mariadb_.pid(), SIGSTOP); }
void TestCluster::ResumeMariaDb() { ::kill(mariadb_.pid(), SIGCONT); }

std::string TestCluster::storage_address(int replica) const {
  return Loopback(storage_.ports.at(replica));
}
std::string TestCluster::logic_address(int replica) const {
  return Loopback(logic_.ports.at(replica));
}

std::string TestCluster::storage_metrics_address(int replica) const {
  return Loopback(storage_.metrics_ports.at(replica));
}
std::string TestCluster::logic_metrics_address(int replica) const {
  return Loopback(logic_.metrics_ports.at(replica));
}
std::string TestCluster::access_metrics_address(int node) const {
  return Loopback(access_metrics_ports_.at(node));
}

std::string TestCluster::push_address(int node) const { return Loopback(push_ports_.at(node)); }

std::vector<storage::SqlRow> TestCluster::Query(std::string_view sql,
                                                std::initializer_list<storage::SqlParam> params) {
  if (db_ == nullptr || db_->broken()) {
    storage::MysqlOptions options;
    options.port = mariadb_.port();
    options.database = "im";
    auto conn = storage::MysqlConnection::Connect(options);
    if (!conn.ok()) throw std::runtime_error(std::string(conn.status().message()));
    db_ = std::move(*conn);
  }
  auto result = db_->Execute(sql, params);
  if (!result.ok()) throw std::runtime_error(std::string(result.status().message()));
  return std::move(result->rows);
}

}  // namespace im::testing
