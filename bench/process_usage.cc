#include "bench/process_usage.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "common/str_cat.h"

namespace im::bench {
namespace {

const std::vector<std::string> kClusterCommands = {"im-access", "im-logic", "im-storage",
                                                   "mariadbd", "redis-server"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double TicksToSeconds(std::uint64_t ticks) {
  static const long hz = sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks) / static_cast<double>(hz);
}

ProcessReading Read(pid_t pid) {
  ProcessReading r;
  std::uint64_t utime = 0, stime = 0;
  std::int64_t rss_pages = 0;
  if (!ParseProcStat(ReadFile(common::StrCat("/proc/", pid, "/stat")), &utime, &stime,
                     &rss_pages)) {
    return r;
  }
  static const long page = sysconf(_SC_PAGESIZE);
  r.alive = true;
  r.cpu_seconds = TicksToSeconds(utime + stime);
  r.rss_bytes = rss_pages * page;
  r.anon_bytes =
      std::max<std::int64_t>(0, ParseRssAnon(ReadFile(common::StrCat("/proc/", pid, "/status"))));
  return r;
}

// Per core: busy = all but idle and iowait; total = everything.
void ReadCores(std::vector<std::uint64_t>* busy, std::vector<std::uint64_t>* total) {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
    std::istringstream fields(line.substr(line.find(' ')));
    std::vector<std::uint64_t> v;
    std::uint64_t x;
    while (fields >> x) v.push_back(x);
    if (v.size() < 5) continue;
    const std::uint64_t all = std::accumulate(
        v.begin(), v.begin() + std::min<std::size_t>(8, v.size()), std::uint64_t{0});
    busy->push_back(all - v[3] - v[4]);
    total->push_back(all);
  }
}

std::vector<WatchedProcess> Discover() {
  std::map<std::string, int> seen;
  std::vector<WatchedProcess> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  std::vector<pid_t> pids;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid > 0) pids.push_back(pid);
  }
  closedir(proc);
  std::sort(pids.begin(), pids.end());
  for (pid_t pid : pids) {
    std::string comm = ReadFile(common::StrCat("/proc/", pid, "/comm"));
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (std::find(kClusterCommands.begin(), kClusterCommands.end(), comm) ==
        kClusterCommands.end()) {
      continue;
    }
    const int n = ++seen[comm];
    found.push_back({n == 1 ? comm : common::StrCat(comm, "#", n), pid});
  }
  return found;
}

}  // namespace

std::int64_t ParseRssAnon(const std::string& status) {
  const auto at = status.find("RssAnon:");
  if (at == std::string::npos) return -1;
  std::istringstream in(status.substr(at + 8));
  std::int64_t kib = -1;
  if (!(in >> kib)) return -1;
  return kib * 1024;
}

bool ParseProcStat(const std::string& stat, std::uint64_t* utime, std::uint64_t* stime,
                   std::int64_t* rss_pages) {
  // The command name (field 2) may hold spaces; fields after its ')' are plain.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> f;
  std::string word;
  while (in >> word) f.push_back(word);
  // f[0] is field 3 (state); utime = field 14, stime = 15, rss = 24.
  if (f.size() < 22) return false;
  try {
    *utime = std::stoull(f[11]);
    *stime = std::stoull(f[12]);
    *rss_pages = std::stoll(f[21]);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

absl::StatusOr<ProcessUsage> ProcessUsage::Watch(const std::string& pid_list) {
  ProcessUsage usage;
  if (pid_list.empty()) {
    usage.watched_ = Discover();
  } else {
    std::istringstream in(pid_list);
    std::string item;
    while (std::getline(in, item, ',')) {
      const auto eq = item.find('=');
      const pid_t pid = eq == std::string::npos ? 0 : std::atoi(item.c_str() + eq + 1);
      if (eq == 0 || pid <= 0) {
        return absl::InvalidArgumentError(common::StrCat("--pids: \"", item, "\" is not name=pid"));
      }
      usage.watched_.push_back({item.substr(0, eq), pid});
    }
  }
  if (usage.watched_.empty()) {
    return absl::NotFoundError("no cluster process found to watch (im-access, im-logic, ...)");
  }
  return usage;
}

UsageSnapshot ProcessUsage::Take() const {
  UsageSnapshot s;
  s.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  for (const auto& w : watched_) s.cluster.push_back(Read(w.pid));
  s.bench_cpu_seconds = Read(getpid()).cpu_seconds;
  for (pid_t pid : bench_pids_) s.bench_cpu_seconds += Read(pid).cpu_seconds;
  ReadCores(&s.core_busy, &s.core_total);
  return s;
}

WindowUsage ProcessUsage::Between(const UsageSnapshot& start, const UsageSnapshot& end) const {
  WindowUsage w;
  w.seconds = end.wall_seconds - start.wall_seconds;
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    WindowUsage::Process p;
    p.name = watched_[i].name;
    p.alive = start.cluster[i].alive && end.cluster[i].alive;
    p.cpu_seconds = p.alive ? end.cluster[i].cpu_seconds - start.cluster[i].cpu_seconds : 0;
    p.rss_start = start.cluster[i].rss_bytes;
    p.rss_end = end.cluster[i].rss_bytes;
    p.anon_start = start.cluster[i].anon_bytes;
    p.anon_end = end.cluster[i].anon_bytes;
    w.cluster_cpu_seconds += p.cpu_seconds;
    w.cluster.push_back(p);
  }
  w.bench_cpu_seconds = end.bench_cpu_seconds - start.bench_cpu_seconds;
  for (std::size_t c = 0; c < start.core_busy.size() && c < end.core_busy.size(); ++c) {
    const double total = static_cast<double>(end.core_total[c] - start.core_total[c]);
    w.core_busy_share.push_back(total > 0 ? (end.core_busy[c] - start.core_busy[c]) / total : 0);
  }
  return w;
}

std::string WindowUsage::Bound() const {
  if (core_busy_share.empty() || seconds <= 0) return "neither";
  const double busy = std::accumulate(core_busy_share.begin(), core_busy_share.end(), 0.0) /
                      static_cast<double>(core_busy_share.size());
  if (busy < 0.9) return "neither";
  return cluster_cpu_seconds >= bench_cpu_seconds ? "cluster" : "bench";
}

std::int64_t WindowUsage::RssGrowth(const std::string& prefix) const {
  std::int64_t sum = 0;
  for (const auto& p : cluster) {
    if (p.name.rfind(prefix, 0) == 0) sum += p.rss_end - p.rss_start;
  }
  return sum;
}

std::int64_t WindowUsage::AnonGrowth(const std::string& prefix) const {
  std::int64_t sum = 0;
  for (const auto& p : cluster) {
    if (p.name.rfind(prefix, 0) == 0) sum += p.anon_end - p.anon_start;
  }
  return sum;
}

}  // namespace im::bench
