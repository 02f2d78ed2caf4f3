#pragma once
// The benchmark scenarios. Each runs against a live cluster, with users made
// by `im-bench seed`, and returns a Report; none asserts a timing. Message
// scenarios end with the delivery checker's counts (Report::ok() is false on
// any loss or duplicate). See im-bench --help for what each measures.

#include <string>
#include <vector>

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio/ip/tcp.hpp>
// clang-format on

#include "bench/bench_device.h"
#include "bench/process_usage.h"
#include "bench/report.h"

namespace im::bench {

inline constexpr char kBenchPassword[] = "bench-password";

struct BenchOptions {
  std::vector<ServerAddress> servers;  // access nodes, used round-robin
  std::string users_file = ".im-bench-users";
  std::string prefix = "bu";
  int threads = 2;      // load generator threads (per worker process)
  double warmup = 2;    // seconds before the measured window
  double seconds = 10;  // the measured window
  std::string pids;     // name=pid,... of the cluster; empty: find by name
  // Sizes; each scenario reads the ones it names.
  int users = 0;           // seed: how many users
  int connections = 1000;  // idle, storm
  int procs = 1;           // idle: worker processes (20,000 descriptors each at most)
  int concurrency = 32;    // logins, and connects at once per thread elsewhere
  bool password = false;   // logins: password logins instead of token reconnects
  int pairs = 16;          // throughput, latency
  int in_flight = 4;       // throughput, fanout: messages outstanding per sender
  double rate = 1000;      // latency (total msgs/s); biggroup (group msgs/s)
  int members = 500;       // fanout, biggroup
  int senders = 4;         // fanout, biggroup, storm
  int missed = 1;          // storm: messages each client misses while away
  double heartbeat = 30;   // seconds between pings on held connections
};

// Everything a scenario gets.
struct BenchContext {
  BenchOptions options;
  std::vector<BenchUser> users;  // seeded, in order
  ProcessUsage* usage = nullptr;
  std::string run_tag;  // unique per run; every message text starts with it
  std::string argv0;    // for worker processes
};

Report RunSeed(const BenchOptions& options);
Report RunIdle(BenchContext& context);
Report RunLogins(BenchContext& context);
Report RunThroughput(BenchContext& context);
Report RunLatency(BenchContext& context);
Report RunFanout(BenchContext& context);
Report RunBigGroup(BenchContext& context);
Report RunStorm(BenchContext& context);

// Reads the users file ("name token" per line).
std::vector<BenchUser> LoadUsers(const std::string& path);

}  // namespace im::bench
