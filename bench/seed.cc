// `im-bench seed`: makes the users every scenario logs in as. Each user is
// registered (an existing one is fine) and logged in once with its password
// on device "bench"; the session token goes to the users file, so measured
// logins are token reconnects, as a real client's are. Seeding is not
// measured and is reused: users already in the file are kept while their
// tokens still work (a wiped database makes them all seeded again).

#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <thread>

#include "bench/fleet.h"
#include "bench/io_workers.h"
#include "bench/scenarios.h"
#include "common/str_cat.h"

namespace im::bench {
namespace {

namespace asio = boost::asio;

struct SeedRun {
  std::vector<std::string> names;  // to seed
  std::size_t next = 0;
  std::size_t done = 0;
  std::vector<BenchUser> made;
  std::string first_error;
  std::size_t server = 0;
};

void SeedNext(asio::io_context& io, const BenchOptions& options, std::shared_ptr<SeedRun> run) {
  if (run->next >= run->names.size()) return;
  const std::string name = run->names[run->next++];
  const auto& server = options.servers[run->server++ % options.servers.size()];
  auto conn = BenchConnection::Create(io);
  auto finish = [&io, &options, run, conn](const std::string& error) {
    conn->Close();
    if (!error.empty() && run->first_error.empty()) run->first_error = error;
    ++run->done;
    SeedNext(io, options, run);
  };
  conn->Connect(server, SourceAddress(run->next), [=](bool ok) {
    if (!ok) return finish("cannot connect to the access node");
    client::ClientFrame reg;
    reg.mutable_register_user()->set_username(name);
    reg.mutable_register_user()->set_password(kBenchPassword);
    conn->Call(std::move(reg), [=](const client::ServerFrame& r) {
      const int taken = 6;  // ALREADY_EXISTS: seeded before
      if (r.status().code() != 0 && r.status().code() != taken) {
        return finish(common::StrCat("register ", name, ": ", r.status().message()));
      }
      client::ClientFrame login;
      login.mutable_login()->set_protocol_version(1);
      login.mutable_login()->set_username(name);
      login.mutable_login()->set_password(kBenchPassword);
      login.mutable_login()->set_device_id("bench");
      conn->Call(std::move(login), [=](const client::ServerFrame& l) {
        if (l.status().code() != 0) {
          return finish(common::StrCat("login ", name, ": ", l.status().message()));
        }
        run->made.push_back({name, l.login().session_token()});
        finish("");
      });
    });
  });
}

// Whether `user`'s token still logs in.
bool TokenWorks(const BenchOptions& options, const BenchUser& user) {
  IoWorkers workers(1);
  std::promise<bool> result;
  asio::post(workers.context(0), [&] {
    auto conn = BenchConnection::Create(workers.context(0));
    conn->Connect(options.servers.front(), SourceAddress(0), [&, conn](bool ok) {
      if (!ok) return result.set_value(false);
      client::ClientFrame login;
      login.mutable_login()->set_protocol_version(1);
      login.mutable_login()->set_session_token(user.token);
      conn->Call(std::move(login), [&, conn](const client::ServerFrame& r) {
        conn->Close();
        result.set_value(r.status().code() == 0);
      });
    });
  });
  return result.get_future().get();
}

}  // namespace

std::vector<BenchUser> LoadUsers(const std::string& path) {
  std::vector<BenchUser> users;
  std::ifstream in(path);
  BenchUser u;
  while (in >> u.name >> u.token) users.push_back(u);
  return users;
}

Report RunSeed(const BenchOptions& options) {
  Report report;
  report.scenario = "seed";
  report.parameters = common::StrCat("users=", options.users, " prefix=", options.prefix,
                                     " file=", options.users_file);
  std::map<std::string, BenchUser> have;
  for (auto& u : LoadUsers(options.users_file)) have[u.name] = u;
  if (!have.empty() && !TokenWorks(options, have.begin()->second)) {
    have.clear();  // the cluster's database was reset: seed everyone again
  }
  auto run = std::make_shared<SeedRun>();
  for (int i = 0; i < options.users; ++i) {
    std::string name = common::StrCat(options.prefix, i);
    if (have.count(name) == 0) run->names.push_back(std::move(name));
  }
  const auto start = std::chrono::steady_clock::now();
  if (!run->names.empty()) {
    IoWorkers workers(1);
    asio::post(workers.context(0), [&] {
      for (int c = 0; c < options.concurrency; ++c) SeedNext(workers.context(0), options, run);
    });
    std::size_t done = 0;
    while (done < run->names.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      workers.RunOnEach([&](int) { done = run->done; });
    }
  }
  for (auto& u : run->made) have[u.name] = u;
  // Rewrite the file in user order (i = 0, 1, ...), users of other prefixes kept.
  std::vector<BenchUser> ordered;
  for (int i = 0; i < options.users; ++i) {
    auto it = have.find(common::StrCat(options.prefix, i));
    if (it != have.end()) ordered.push_back(it->second), have.erase(it);
  }
  for (auto& [name, u] : have) ordered.push_back(u);
  std::ofstream out(options.users_file, std::ios::trunc);
  for (const auto& u : ordered) out << u.name << ' ' << u.token << '\n';
  if (!out.good()) report.failure = common::StrCat("cannot write ", options.users_file);

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.Add("users seeded now", static_cast<double>(run->made.size()), "");
  report.Add("users in the file", static_cast<double>(ordered.size()), "");
  report.Add("seeding time", seconds, "s");
  if (!run->first_error.empty() && report.failure.empty()) {
    report.failure = common::StrCat(run->names.size() - run->made.size(),
                                    " users not seeded; first error: ", run->first_error);
  }
  return report;
}

}  // namespace im::bench
