#pragma once
// What the cluster's processes and the machine did during a measured window,
// read from /proc: CPU seconds (user + system) and resident memory of each
// watched process, each core's busy share, and the load generator's own CPU.
// This is how a benchmark prints CPU per message across every tier.
//
// The watched processes are given as name=pid pairs (scripts/bench.sh passes
// the PIDs it started) or, when none are given, found by their command name
// (im-access, im-logic, im-storage, mariadbd, redis-server).
// Thread-compatible: Take() only reads /proc.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace im::bench {

struct WatchedProcess {
  std::string name;  // e.g. "im-access#2"
  pid_t pid = 0;
};

struct ProcessReading {
  bool alive = false;
  double cpu_seconds = 0;
  std::int64_t rss_bytes = 0;
  // The private part of rss_bytes (RssAnon): heap, stacks; not the shared
  // library code a process pages in the first time it runs a code path.
  std::int64_t anon_bytes = 0;
};

struct UsageSnapshot {
  double wall_seconds = 0;                           // CLOCK_MONOTONIC
  std::vector<ProcessReading> cluster;               // parallel to the watched list
  double bench_cpu_seconds = 0;                      // this process and `bench_pids`
  std::vector<std::uint64_t> core_busy, core_total;  // jiffies per core
};

// The difference between two snapshots.
struct WindowUsage {
  struct Process {
    std::string name;
    double cpu_seconds = 0;
    std::int64_t rss_start = 0, rss_end = 0;
    std::int64_t anon_start = 0, anon_end = 0;
    bool alive = true;
  };
  double seconds = 0;
  std::vector<Process> cluster;
  double cluster_cpu_seconds = 0;
  double bench_cpu_seconds = 0;
  std::vector<double> core_busy_share;  // 0..1 per core

  // "cluster", "bench" or "neither": which side used the CPU when the cores
  // were busy (over 90% on average); "neither" means the run was bound by
  // waiting (round trips, fsyncs), not by CPU.
  std::string Bound() const;
  // Summed RSS growth of the processes whose name starts with `prefix`.
  std::int64_t RssGrowth(const std::string& prefix) const;
  // The same for the private (anonymous) part of RSS.
  std::int64_t AnonGrowth(const std::string& prefix) const;
};

class ProcessUsage {
 public:
  // "name=pid,name=pid" (empty: discover by command name). INVALID_ARGUMENT
  // for a malformed list; NOT_FOUND when nothing is found to watch.
  static absl::StatusOr<ProcessUsage> Watch(const std::string& pid_list);

  // Extra PIDs whose CPU counts as the load generator's (worker processes).
  void AddBenchPid(pid_t pid) { bench_pids_.push_back(pid); }

  UsageSnapshot Take() const;
  WindowUsage Between(const UsageSnapshot& start, const UsageSnapshot& end) const;

  const std::vector<WatchedProcess>& watched() const { return watched_; }

 private:
  std::vector<WatchedProcess> watched_;
  std::vector<pid_t> bench_pids_;
};

// The RssAnon line of /proc/PID/status, in bytes; -1 if there is none.
std::int64_t ParseRssAnon(const std::string& status);

// Parses the fields of /proc/PID/stat that matter (utime, stime in clock
// ticks, rss in pages); false if `stat` is not such a line. Exposed for tests.
bool ParseProcStat(const std::string& stat, std::uint64_t* utime, std::uint64_t* stime,
                   std::int64_t* rss_pages);

}  // namespace im::bench
