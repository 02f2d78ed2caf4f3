#pragma once
// The whole system for integration tests: a private MariaDB and Redis, then
// im-storage, im-logic and N im-access processes on free loopback ports, each
// started from the shipped deploy/config/*.toml with flags for ports and
// test-friendly timeouts. Daemons can be stopped, killed and restarted one by
// one. Everything is stopped and removed when the object is destroyed.

#include <memory>
#include <string>
#include <vector>

#include "storage/mysql_connection.h"
#include "tests/support/child_process.h"
#include "tests/support/database_servers.h"

namespace im::testing {

// Access nodes' lease in the test cluster: a dead node's users show offline
// within this long. Not shorter: on a loaded machine a renewal (access ->
// logic -> storage -> Redis) can stall for seconds, and a lapsed lease hides
// a live node's routes until its next renewal (pushes are lost, Sync is not).
inline constexpr int kTestLeaseMs = 4000;

// The test cluster's hot streams (access -> logic, logic -> storage) are
// replaced this often, so every test (the delivery checker's included) runs
// through stream rebalancing many times (the shipped default is a minute).
inline constexpr int kTestStreamRebalanceMs = 1000;

struct ClusterOptions {
  int access_nodes = 1;
  // Replicas of the stateless tiers: each tier calls the next one's
  // replicas round-robin (a comma-separated target).
  int logic_replicas = 1;
  int storage_replicas = 1;
  int login_timeout_ms = 2000;
  int idle_timeout_ms = 5000;
  int max_frame_bytes = 64 * 1024;
  // A directory made by `deploy/make-dev-certs.sh --internal`: every daemon
  // then speaks mutual TLS on the internal plane. Empty: plaintext.
  std::string internal_tls_dir;
  // Every access node serves WebSocket too, at websocket_address(node).
  bool websocket = false;
  // Every access node serves HTTP long-poll too, at poll_address(node), with
  // polls answered within 2 s.
  bool long_poll = false;
};

class TestCluster {
 public:
  explicit TestCluster(ClusterOptions options = {});
  ~TestCluster();

  // Start every replica of the tier.
  void StartStorage();
  // `extra_flags` (e.g. "--default_message_policy=friends") apply to every
  // logic replica until the next StartLogic.
  void StartLogic(const std::vector<std::string>& extra_flags = {});
  // One replica (after KillStorageReplica / KillLogicReplica).
  void StartStorageReplica(int replica);
  void StartLogicReplica(int replica);
  // Starts im-access node `node`; `extra_flags` apply to this start only.
  void StartAccess(int node = 0, const std::vector<std::string>& extra_flags = {});
  // im-storage's command line as StartStorage runs it, plus `extra_flags`
  // (for starting one by hand, say with a wrong password).
  std::vector<std::string> StorageCommand(const std::vector<std::string>& extra_flags = {},
                                          int replica = 0) const;
  // Waits (up to 20 s, else throws) until every running access node answers
  // /healthz "serving": logic answers and the node holds its lease again.
  // StartLogic, StartStorage (with logic running) and StartAccess end with
  // it, so a test never starts while a restart left nodes without a lease
  // (their users would get no pushes until the next renewal).
  void WaitUntilAccessServing();
  void StopStorage() { storage_.StopAll(); }
  void StopLogic() { logic_.StopAll(); }
  // SIGTERM (a drain); returns the exit status, as from waitpid.
  int StopAccess(int node = 0) { return access_[node]->Stop(); }
  void KillStorage() { storage_.KillAll(); }
  void KillLogic() { logic_.KillAll(); }
  // Sends `signal` (say SIGHUP, a reload) to every running logic replica.
  void SignalLogic(int signal);
  void KillStorageReplica(int replica) { storage_.processes[replica]->Kill(); }
  void KillLogicReplica(int replica) { logic_.processes[replica]->Kill(); }
  void KillAccess(int node = 0) { access_[node]->Kill(); }
  // Stops every daemon (SIGTERM), then starts them again; data persists.
  void RestartDaemons();

  std::string access_address(int node = 0) const;
  // ws://127.0.0.1:PORT/im, with ClusterOptions::websocket (ImClient speaks it).
  std::string websocket_address(int node = 0) const;
  // http://127.0.0.1:PORT/poll, with ClusterOptions::long_poll (ImClient speaks it).
  std::string poll_address(int node = 0) const;
  // The node's Access gRPC service (Push, Kick, Stats), as logic reaches it.
  std::string push_address(int node = 0) const;
  // Where each daemon serves Prometheus metrics (GET /metrics).
  std::string storage_metrics_address(int replica = 0) const;
  std::string logic_metrics_address(int replica = 0) const;
  std::string access_metrics_address(int node = 0) const;
  // Stops Redis, and starts it again on the same port, empty (an outage
  // that loses every route, lease and cache).
  void StopRedis() { redis_.Stop(); }
  void StartRedis() { redis_.Start(); }
  // SIGSTOP / SIGCONT to MariaDB: it keeps its connections but answers
  // nothing, as a hung database server does.
  void PauseMariaDb();
  void ResumeMariaDb();
  // kill -9 of mariadbd, and a start on the same data (crash recovery).
  void KillMariaDb() { mariadb_.Kill(); }
  void StartMariaDb() { mariadb_.Start(); }
  // The loopback ports im-storage reaches MariaDB and Redis on.
  int mariadb_port() const { return mariadb_.port(); }
  int redis_port() const { return redis_.port(); }
  // The Storage and Logic gRPC services (they serve grpc.health.v1 too).
  std::string storage_address(int replica = 0) const;
  std::string logic_address(int replica = 0) const;
  // FLUSHALL on the cluster's Redis (routes and caches are soft state).
  void FlushRedis();
  // Runs a query on the cluster's database (for checks of what is stored).
  std::vector<storage::SqlRow> Query(std::string_view sql,
                                     std::initializer_list<storage::SqlParam> params = {});
  const std::string& dir() const { return dir_; }
  // Every process of the cluster as "name=pid,..." (im-bench --pids).
  std::string ProcessList() const;

 private:
  std::vector<std::string> CommonFlags(const std::string& daemon) const;

  ClusterOptions options_;
  std::string dir_;
  MariaDbServer mariadb_;
  RedisServer redis_;
  // The replicas of a stateless tier.
  struct Tier {
    std::vector<int> ports, metrics_ports;
    std::vector<std::unique_ptr<ChildProcess>> processes;
    explicit Tier(int replicas);
    std::string Target() const;  // "127.0.0.1:p1,127.0.0.1:p2"
    bool AnyRunning() const;
    void StopAll();
    void KillAll();
  };
  Tier storage_, logic_;
  std::vector<std::string> logic_extra_flags_;
  std::vector<int> access_ports_, push_ports_, access_metrics_ports_, websocket_ports_,
      poll_ports_;
  std::vector<std::unique_ptr<ChildProcess>> access_;
  std::unique_ptr<storage::MysqlConnection> db_;
};

}  // namespace im::testing
