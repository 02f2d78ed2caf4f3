// idle, logins and storm: what holding, opening and reopening connections
// costs. idle logs N connections in (over --procs worker processes when one
// process's descriptor limit binds) and holds them with heartbeats; logins
// measures token reconnects (or --password logins) per second at a
// concurrency; storm drops N logged-in clients at once, sends them messages
// while they are away, and times their return until all have synced.

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "bench/scenario_support.h"
#include "client-cli/im_client.h"
#include "common/str_cat.h"

namespace im::bench {
namespace {

// ---- idle ---------------------------------------------------------------

// A worker process: logs its slice in, reports "up N", holds the connections
// until the parent closes `control`, then reports "held N" and exits.
[[noreturn]] void IdleWorker(const BenchContext& context, std::size_t first, std::size_t last,
                             int control, int results) {
  const BenchOptions& o = context.options;
  int code = 0;
  {
    Fleet fleet(o.servers, o.threads, context.run_tag);
    for (std::size_t i = first; i < last; ++i) fleet.Add(context.users[i]);
    std::string error;
    const std::size_t up = fleet.StartAll(o.concurrency, std::chrono::seconds(600), &error);
    const std::string line = common::StrCat("up ", up, " ", error, "\n");
    if (write(results, line.data(), line.size()) < 0) code = 1;
    fleet.StartHeartbeats(std::chrono::milliseconds(static_cast<int>(o.heartbeat * 1000)));
    char c;
    while (read(control, &c, 1) > 0) {
    }
    std::vector<std::size_t> held(fleet.threads(), 0);
    fleet.ForEachDevice(
        [&](BenchDevice& d, std::size_t i) { held[fleet.worker_of(i)] += d.connected(); });
    std::size_t sum = 0;
    for (auto n : held) sum += n;
    const std::string end = common::StrCat("held ", sum, "\n");
    if (write(results, end.data(), end.size()) < 0) code = 1;
  }
  _exit(code);
}

// Reads one "word N rest" line from `fd` within `timeout_ms`.
bool ReadLine(int fd, int timeout_ms, std::string* line) {
  line->clear();
  char c;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return false;
    if (read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
    *line += c;
  }
}

std::size_t NumberAfter(const std::string& line, const std::string& word) {
  if (line.rfind(word + " ", 0) != 0) return 0;
  return std::strtoull(line.c_str() + word.size() + 1, nullptr, 10);
}

}  // namespace

Report RunIdle(BenchContext& context) {
  const BenchOptions& o = context.options;
  Report report;
  const int procs = std::max(1, o.procs);
  report.scenario = "idle";
  report.parameters = common::StrCat(
      "connections=", o.connections, " procs=", procs, " hold=", o.seconds,
      "s heartbeat=", o.heartbeat, "s (RSS growth is only meaningful on freshly started daemons)");
  std::vector<BenchUser> users;
  const auto n = static_cast<std::size_t>(o.connections);
  if (!TakeUsers(context, n, &users, &report)) return report;

  const UsageSnapshot before = context.usage->Take();
  const auto ramp_start = std::chrono::steady_clock::now();
  struct Child {
    pid_t pid;
    int control, results;
  };
  std::vector<Child> children;
  for (int p = 0; p < procs; ++p) {
    int control[2], results[2];
    if (pipe(control) != 0 || pipe(results) != 0) {
      report.failure = "pipe failed";
      break;
    }
    const pid_t pid = fork();
    if (pid == 0) {
      close(control[1]);
      close(results[0]);
      for (const auto& c : children) close(c.control), close(c.results);
      IdleWorker(context, n * p / procs, n * (p + 1) / procs, control[0], results[1]);
    }
    close(control[0]);
    close(results[1]);
    if (pid < 0) {
      report.failure = "fork failed";
      close(control[1]);
      close(results[0]);
      break;
    }
    children.push_back({pid, control[1], results[0]});
    context.usage->AddBenchPid(pid);
  }
  std::size_t up = 0;
  std::string line, error;
  for (const auto& c : children) {
    if (!ReadLine(c.results, 620000, &line)) {
      error = "a worker process did not report";
      continue;
    }
    up += NumberAfter(line, "up");
    const auto space = line.find(' ', 3);
    if (space != std::string::npos && error.empty()) error = line.substr(space + 1);
  }
  const double ramp =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ramp_start).count();
  const UsageSnapshot logged_in = context.usage->Take();
  SleepSeconds(o.seconds);
  const UsageSnapshot end = context.usage->Take();
  std::size_t held = 0;
  for (const auto& c : children) {
    close(c.control);
    if (ReadLine(c.results, 60000, &line)) held += NumberAfter(line, "held");
    close(c.results);
    int status = 0;
    waitpid(c.pid, &status, 0);
  }
  if (up < n && report.failure.empty()) {
    report.failure = common::StrCat(n - up, " connections did not log in: ", error);
  }

  const WindowUsage ramp_usage = context.usage->Between(before, logged_in);
  report.usage = context.usage->Between(logged_in, end);  // the hold
  const double per = up > 0 ? 1.0 / static_cast<double>(up) : 0;
  report.Add("connections logged in", static_cast<double>(up), "");
  report.Add("connections held at the end", static_cast<double>(held), "", true);
  report.Add("login ramp", ramp, "s");
  // Private memory is what each connection costs; total RSS also counts the
  // library code a daemon pages in the first time it serves a login (a fixed
  // cost, shared between processes), which a small run spreads over few
  // connections.
  report.Add("im-access private memory per connection, logged in",
             static_cast<double>(ramp_usage.AnonGrowth("im-access")) * per, "B", true);
  report.Add("im-access private memory per connection, end of hold",
             static_cast<double>(context.usage->Between(before, end).AnonGrowth("im-access")) * per,
             "B");
  report.Add("im-access RSS per connection, logged in",
             static_cast<double>(ramp_usage.RssGrowth("im-access")) * per, "B", true);
  report.Add("im-logic RSS growth",
             static_cast<double>(ramp_usage.RssGrowth("im-logic")) / (1 << 20), "MiB", true);
  report.Add("im-storage RSS growth",
             static_cast<double>(ramp_usage.RssGrowth("im-storage")) / (1 << 20), "MiB", true);
  report.Add("cluster CPU per login (ramp)", ramp_usage.cluster_cpu_seconds * 1e6 * per, "us");
  report.Add("cluster CPU while holding",
             report.usage->cluster_cpu_seconds / std::max(1e-9, report.usage->seconds) * 100,
             "% of a core");
  return report;
}

// ---- logins ---------------------------------------------------------------

namespace {

// C loops of connect -> login -> close, each on a worker thread.
struct LoginLoops {
  std::vector<client::ClientFrame> logins;  // one per loop
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ok{0}, failed{0};
  std::atomic<int> running{0};
  std::vector<std::string> first_error;   // per worker
  std::vector<LatencyHistogram> latency;  // per worker, while measuring
  std::atomic<bool> measuring{false};
  std::vector<ServerAddress> servers;
};

void LoginOnce(boost::asio::io_context& io, int worker, std::size_t loop,
               std::shared_ptr<LoginLoops> s) {
  if (s->stop) {
    --s->running;
    return;
  }
  auto conn = BenchConnection::Create(io);
  const std::int64_t start = NowMicros();
  auto next = [&io, worker, loop, s, conn, start](bool ok, const std::string& why) {
    conn->Close();
    if (ok) {
      ++s->ok;
      if (s->measuring) s->latency[worker].Record(NowMicros() - start);
    } else {
      ++s->failed;
      if (s->first_error[worker].empty()) s->first_error[worker] = why;
    }
    LoginOnce(io, worker, loop, s);
  };
  conn->Connect(s->servers[loop % s->servers.size()], SourceAddress(loop),
                [s, conn, loop, next](bool ok) {
                  if (!ok) return next(false, "connect failed");
                  conn->Call(s->logins[loop], [next](const client::ServerFrame& r) {
                    next(r.status().code() == 0, r.status().message());
                  });
                });
}

// Registers `names` (an existing user is fine) with the bench password.
std::string RegisterAll(const BenchOptions& o, const std::vector<std::string>& names) {
  auto client = cli::ImClient::Connect(o.servers.front().ToString());
  if (!client.ok()) return std::string(client.status().message());
  for (const auto& name : names) {
    auto r = (*client)->Register(name, kBenchPassword);
    if (!r.ok() && r.status().code() != absl::StatusCode::kAlreadyExists) {
      return std::string(r.status().message());
    }
  }
  return "";
}

}  // namespace

Report RunLogins(BenchContext& context) {
  const BenchOptions& o = context.options;
  Report report;
  report.scenario = o.password ? "logins (password)" : "logins (token)";
  report.parameters = common::StrCat("concurrency=", o.concurrency, " seconds=", o.seconds);
  const auto c = static_cast<std::size_t>(std::max(1, o.concurrency));
  auto s = std::make_shared<LoginLoops>();
  s->servers = o.servers;
  if (o.password) {
    // Users registered here, by the cluster as configured now, so the
    // password hash costs what the running config says.
    std::vector<std::string> names;
    for (std::size_t i = 0; i < c; ++i) names.push_back(common::StrCat(o.prefix, "pw", i));
    if (std::string e = RegisterAll(o, names); !e.empty()) {
      report.failure = common::StrCat("register: ", e);
      return report;
    }
    for (const auto& name : names) {
      client::ClientFrame f;
      f.mutable_login()->set_protocol_version(1);
      f.mutable_login()->set_username(name);
      f.mutable_login()->set_password(kBenchPassword);
      f.mutable_login()->set_device_id("bench");
      s->logins.push_back(f);
    }
  } else {
    std::vector<BenchUser> users;
    if (!TakeUsers(context, c, &users, &report)) return report;
    for (const auto& u : users) {
      client::ClientFrame f;
      f.mutable_login()->set_protocol_version(1);
      f.mutable_login()->set_session_token(u.token);
      s->logins.push_back(f);
    }
  }
  IoWorkers workers(o.threads);
  s->first_error.resize(workers.size());
  s->latency.resize(workers.size());
  s->running = static_cast<int>(c);
  workers.RunOnEach([&](int w) {
    for (std::size_t i = w; i < c; i += workers.size()) LoginOnce(workers.context(w), w, i, s);
  });
  SleepSeconds(o.warmup);
  Window window(context.usage);
  const std::uint64_t ok0 = s->ok, failed0 = s->failed;
  window.Begin();
  s->measuring = true;
  SleepSeconds(o.seconds);
  s->measuring = false;
  window.End();
  const double ok = static_cast<double>(s->ok - ok0);
  const double failed = static_cast<double>(s->failed - failed0);
  s->stop = true;
  WaitFor([&] { return s->running.load() == 0; }, std::chrono::seconds(30));

  report.usage = window.usage();
  report.Add("logins", ok / window.seconds(), "/s", true);
  report.Add("failed logins", failed, "");
  report.AddCpuPer("login", ok);
  LatencyHistogram all;
  std::string error;
  for (std::size_t w = 0; w < s->latency.size(); ++w) {
    all.Merge(s->latency[w]);
    if (error.empty()) error = s->first_error[w];
  }
  AddLatency(report, "connect+login", all);
  if (failed > 0) report.failure = common::StrCat("logins failed; first error: ", error);
  return report;
}

// ---- storm ----------------------------------------------------------------

namespace {

// What the storm's senders got acked, per worker thread.
struct MissedMessages {
  explicit MissedMessages(int workers) : acked(static_cast<std::size_t>(workers)) {}
  std::vector<std::vector<std::pair<std::size_t, std::uint64_t>>> acked;  // (device, msg_id)
  std::atomic<std::size_t> answered{0}, refused{0};
};

// Sends one message to each target from one sender, a few at a time (access
// bounds the requests a connection may have in flight). Lives on the
// sender's thread (Fleet::Adopt).
class MissedSender {
 public:
  MissedSender(BenchDevice& sender, int worker,
               std::vector<std::pair<std::size_t, std::string>> targets, std::string tag,
               std::shared_ptr<MissedMessages> missed)
      : sender_(sender),
        worker_(worker),
        targets_(std::move(targets)),
        tag_(std::move(tag)),
        missed_(std::move(missed)) {}

  void Start() {
    for (int i = 0; i < kInFlight; ++i) SendNext();
  }

 private:
  static constexpr int kInFlight = 32;

  void SendNext() {
    if (next_ >= targets_.size()) return;
    const auto& [device, name] = targets_[next_];
    client::SendMessageRequest r;
    r.set_to_user(name);
    r.set_text(MessageText(tag_, sender_.user().name, next_, NowMicros()));
    r.set_client_msg_id(cli::NewClientMessageId());
    ++next_;
    sender_.Send(r, [this, device = device, missed = missed_](const client::ServerFrame& f) {
      ++missed->answered;
      if (f.status().code() != 0) {
        ++missed->refused;  // the run fails; send no more
        return;
      }
      missed->acked[static_cast<std::size_t>(worker_)].emplace_back(device,
                                                                    f.send_message().msg_id());
      SendNext();
    });
  }

  BenchDevice& sender_;
  int worker_;
  std::vector<std::pair<std::size_t, std::string>> targets_;
  std::size_t next_ = 0;
  std::string tag_;
  std::shared_ptr<MissedMessages> missed_;
};

}  // namespace

Report RunStorm(BenchContext& context) {
  const BenchOptions& o = context.options;
  Report report;
  report.scenario = "storm";
  const auto senders = static_cast<std::size_t>(std::max(1, o.senders));
  const auto n = static_cast<std::size_t>(o.connections);
  report.parameters =
      common::StrCat("clients=", n, " missed_each=", o.missed, " senders=", senders);
  std::vector<BenchUser> users;
  if (!TakeUsers(context, senders + n, &users, &report)) return report;
  Fleet fleet(o.servers, o.threads, context.run_tag);
  for (const auto& u : users) fleet.Add(u);  // senders first, then the clients
  std::string error;
  if (fleet.StartAll(o.concurrency, std::chrono::seconds(600), &error) != fleet.size()) {
    report.failure = common::StrCat("not every client logged in: ", error);
    return report;
  }
  fleet.ForEachDevice([](BenchDevice& d, std::size_t) { d.Record(nullptr); });

  // Everyone drops at once; the senders write to them while they are away.
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
    if (i >= senders) d.Drop();
  });
  std::vector<std::vector<std::uint64_t>> expected(fleet.size());
  {
    auto missed = std::make_shared<MissedMessages>(fleet.threads());
    std::size_t total = 0;
    fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
      if (i >= senders) return;
      std::vector<std::pair<std::size_t, std::string>> targets;
      for (std::size_t t = senders + i; t < fleet.size(); t += senders) {
        for (int m = 0; m < o.missed; ++m) targets.emplace_back(t, users[t].name);
      }
      auto sender = std::make_shared<MissedSender>(d, fleet.worker_of(i), std::move(targets),
                                                   context.run_tag, missed);
      fleet.Adopt(fleet.worker_of(i), sender);
      sender->Start();
    });
    for (std::size_t i = 0; i < senders; ++i) {
      for (std::size_t t = senders + i; t < fleet.size(); t += senders)
        total += std::max(0, o.missed);
    }
    WaitFor([&] { return missed->answered.load() == total || missed->refused.load() > 0; },
            std::chrono::seconds(120));
    if (missed->answered.load() != total || missed->refused.load() > 0) {
      report.failure = common::StrCat("sending the missed messages: ", missed->refused.load(),
                                      " refused, ", total - missed->answered.load(), " unanswered");
      return report;
    }
    fleet.RunOnEach([](int) {});  // the last callbacks' writes are visible after this
    for (const auto& per : missed->acked) {
      for (const auto& [target, id] : per) expected[target].push_back(id);
    }
  }

  Window window(context.usage);
  window.Begin();
  std::uint64_t retries = 0;
  const std::size_t back =
      fleet.Start(senders, fleet.size(), static_cast<int>(n / fleet.threads() + 1),
                  std::chrono::seconds(300), &error, &retries);
  window.End();
  if (back != n) report.failure = common::StrCat(n - back, " clients did not come back: ", error);
  DeliveryCounts counts = fleet.Counts();
  CountLost(
      fleet, [&](std::size_t i) { return &expected[i]; }, &counts);
  report.delivery = counts;
  report.usage = window.usage();
  report.Add("clients back and synced", static_cast<double>(back), "");
  report.Add("time until all back and synced", window.seconds(), "s", true);
  report.Add("reconnects", static_cast<double>(back) / window.seconds(), "/s");
  report.Add("reconnects refused and retried", static_cast<double>(retries), "", true);
  report.AddCpuPer("reconnect", static_cast<double>(back));
  return report;
}

}  // namespace im::bench
