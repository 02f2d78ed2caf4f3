// im-bench: the load generator for every benchmark scenario, over the real
// client protocol. Run `im-bench --help`; scripts/bench.sh runs the suite.
//
// Exit codes: 0 measured and the delivery checker found nothing wrong;
// 1 the run failed or the checker found a loss, duplicate or reordering;
// 2 bad command line.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "bench/scenarios.h"
#include "common/str_cat.h"

namespace im::bench {
namespace {

constexpr char kUsage[] = R"(usage: im-bench SCENARIO [flags]

Scenarios (each measures a --seconds window after --warmup seconds):
  seed        register --users users and save their session tokens (not measured;
              reused across runs while the tokens work)
  idle        log --connections in over --procs processes and hold them:
              im-access RSS per connection, logic/storage growth
  logins      token reconnects/s at --concurrency (with --password: password logins)
  throughput  --pairs sender->receiver pairs, --in-flight per sender, closed loop:
              persisted 1:1 msgs/s, ack and send->deliver latency
  latency     open loop at a total --rate msgs/s over --pairs pairs:
              send->deliver p50/p90/p99/p99.9 from each message's intended time
  fanout      one group of --members online members, --senders closed-loop senders:
              deliveries/s and send->deliver latency
  biggroup    like fanout at a fixed --rate, for groups in notice mode:
              notice latency and the time until every member has each message
  storm       --connections clients drop together, miss --missed messages each,
              and reconnect together: time until all are back and synced

Flags:
  --server H:P[,H:P...]  access nodes, used round-robin      (127.0.0.1:7000)
  --transport tcp|ws|poll  framed TCP, WebSocket or HTTP long-poll (then
                         --server names the nodes' WebSocket or long-poll
                         ports)                              (tcp)
  --websocket-path P     where a WebSocket connection upgrades (/im)
  --poll-path P          where the long-poll requests go     (/poll)
  --users-file PATH      seeded users and tokens             (.im-bench-users)
  --prefix P             seeded user names P0, P1, ...       (bu)
  --users N              seed: how many
  --connections N --procs N --concurrency N --password
  --pairs N --in-flight N --rate R --members N --senders N --missed N
  --threads N            load threads per process            (2)
  --warmup S --seconds S                                     (2, 10)
  --heartbeat S          ping interval on held connections   (30)
  --pids NAME=PID,...    cluster processes to account CPU to (default: found by name)
  --json                 one JSON object instead of a table
  --summary FILE         also append a one-line Markdown summary row to FILE
)";

[[noreturn]] void BadUsage(const std::string& why) {
  std::fprintf(stderr, "im-bench: %s\n\n%s", why.c_str(), kUsage);
  std::exit(2);
}

std::vector<ServerAddress> ParseServers(const std::string& list) {
  std::vector<ServerAddress> servers;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto end = std::min(list.find(',', start), list.size());
    const std::string item = list.substr(start, end - start);
    const auto colon = item.rfind(':');
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(item.substr(0, colon), ec);
    const int port = colon == std::string::npos ? 0 : std::atoi(item.c_str() + colon + 1);
    if (colon == std::string::npos || ec || port <= 0 || port > 65535) {
      BadUsage(common::StrCat("--server: \"", item, "\" is not IP:PORT"));
    }
    servers.push_back({{address, static_cast<unsigned short>(port)}, ""});
    start = end + 1;
  }
  return servers;
}

double Number(const std::string& flag, const std::string& value, double min) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || v < min) {
    BadUsage(common::StrCat(flag, ": \"", value, "\" is not a number >= ", min));
  }
  return v;
}

struct Parsed {
  std::string scenario;
  BenchOptions options;
  bool json = false;
  std::string summary_file;
};

Parsed Parse(int argc, char** argv) {
  Parsed p;
  BenchOptions& o = p.options;
  o.servers = ParseServers("127.0.0.1:7000");
  std::string transport = "tcp";
  std::string websocket_path = "/im";
  std::string poll_path = "/poll";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (flag == "-h" || flag == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (flag.rfind("--", 0) != 0) {
      if (!p.scenario.empty()) BadUsage(common::StrCat("unexpected argument \"", flag, "\""));
      p.scenario = flag;
      continue;
    }
    if (flag == "--json") {
      p.json = true;
      continue;
    }
    if (flag == "--password") {
      o.password = true;
      continue;
    }
    std::string value;
    if (const auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      BadUsage(common::StrCat(flag, " needs a value"));
    }
    const std::map<std::string, int*> ints = {
        {"--users", &o.users},     {"--connections", &o.connections},
        {"--procs", &o.procs},     {"--concurrency", &o.concurrency},
        {"--pairs", &o.pairs},     {"--in-flight", &o.in_flight},
        {"--members", &o.members}, {"--senders", &o.senders},
        {"--threads", &o.threads}, {"--missed", &o.missed}};
    const std::map<std::string, double*> reals = {{"--warmup", &o.warmup},
                                                  {"--seconds", &o.seconds},
                                                  {"--rate", &o.rate},
                                                  {"--heartbeat", &o.heartbeat}};
    if (auto it = ints.find(flag); it != ints.end()) {
      *it->second = static_cast<int>(Number(flag, value, flag == "--missed" ? 0 : 1));
    } else if (auto r = reals.find(flag); r != reals.end()) {
      *r->second = Number(flag, value, flag == "--warmup" ? 0 : 0.001);
    } else if (flag == "--server") {
      o.servers = ParseServers(value);
    } else if (flag == "--users-file") {
      o.users_file = value;
    } else if (flag == "--prefix") {
      o.prefix = value;
    } else if (flag == "--summary") {
      p.summary_file = value;
    } else if (flag == "--pids") {
      o.pids = value;
    } else if (flag == "--transport") {
      if (value != "tcp" && value != "ws" && value != "poll") {
        BadUsage("--transport: tcp, ws or poll");
      }
      transport = value;
    } else if (flag == "--poll-path") {
      if (!value.starts_with("/")) BadUsage("--poll-path: a path, starting with /");
      poll_path = value;
    } else if (flag == "--websocket-path") {
      if (!value.starts_with("/")) BadUsage("--websocket-path: a path, starting with /");
      websocket_path = value;
    } else {
      BadUsage(common::StrCat("unknown flag ", flag));
    }
  }
  if (p.scenario.empty()) BadUsage("which scenario?");
  for (ServerAddress& server : o.servers) {
    if (transport == "ws") server.websocket_path = websocket_path;
    if (transport == "poll") server.poll_path = poll_path;
  }
  return p;
}

std::string RunTag() {
  std::random_device rd;
  return common::StrCat("r", std::hex, (static_cast<std::uint64_t>(rd()) << 32) | rd());
}

int Run(int argc, char** argv) {
  Parsed p = Parse(argc, argv);
  const std::map<std::string, Report (*)(BenchContext&)> scenarios = {
      {"idle", RunIdle},       {"logins", RunLogins}, {"throughput", RunThroughput},
      {"latency", RunLatency}, {"fanout", RunFanout}, {"biggroup", RunBigGroup},
      {"storm", RunStorm}};
  Report report;
  if (p.scenario == "seed") {
    if (p.options.users <= 0) BadUsage("seed needs --users N");
    report = RunSeed(p.options);
  } else {
    auto it = scenarios.find(p.scenario);
    if (it == scenarios.end()) BadUsage(common::StrCat("unknown scenario \"", p.scenario, "\""));
    auto usage = ProcessUsage::Watch(p.options.pids);
    if (!usage.ok()) {
      std::fprintf(stderr, "im-bench: %s\n", std::string(usage.status().message()).c_str());
      return 1;
    }
    BenchContext context{p.options, LoadUsers(p.options.users_file), &*usage, RunTag(), argv[0]};
    report = it->second(context);
  }
  if (!p.options.servers.front().websocket_path.empty()) report.parameters += " transport=ws";
  if (!p.options.servers.front().poll_path.empty()) report.parameters += " transport=poll";
  std::fputs(p.json ? (report.Json() + "\n").c_str() : report.Table().c_str(), stdout);
  std::fflush(stdout);
  if (!p.summary_file.empty()) {
    std::ofstream(p.summary_file, std::ios::app) << report.SummaryRow() << '\n';
  }
  return report.ok() ? 0 : 1;
}

}  // namespace
}  // namespace im::bench

int main(int argc, char** argv) { return im::bench::Run(argc, argv); }
