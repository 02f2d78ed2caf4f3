// im-bench-group: group fan-out through a running cluster, over the real
// protocol: persisted group messages per second, deliveries per second (one
// per online member per message) and send-to-deliver latency.
//
//   im-bench-group --server 127.0.0.1:7000 [--members 200] [--senders 4]
//                  [--seconds 10] [--prefix g] [--ack-every-ms 200] [--reorder-ms 300]
//
// Registers the members (ignoring "already taken"), logs each in on its own
// connection, makes one group of all of them, and has `senders` members send
// to it in a closed loop (one message in flight each). Every member receives
// through cli::Inbox, as im-cli does: pushed messages, or, when the group is
// above the server's group_notice_above_members, notices answered with Sync;
// each acks at most every --ack-every-ms (0: after every message) and holds a
// push that skips ahead for --reorder-ms before syncing (0: sync at once).
// A benchmark, not a test: it asserts nothing and prints figures.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client-cli/im_client.h"
#include "client-cli/inbox.h"
#include "tests/bench/bench_support.h"

namespace {

using Clock = std::chrono::steady_clock;
using im::cli::ImClient;

struct Args {
  std::string server = "127.0.0.1:7000";
  int members = 200;
  int senders = 4;
  int seconds = 10;
  std::string prefix = "gbench";
  std::chrono::milliseconds ack_every{200};
  std::chrono::milliseconds reorder_window{300};
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--server") {
      a.server = v;
    } else if (k == "--members") {
      a.members = std::max(2, std::atoi(v.c_str()));
    } else if (k == "--senders") {
      a.senders = std::max(1, std::atoi(v.c_str()));
    } else if (k == "--seconds") {
      a.seconds = std::max(1, std::atoi(v.c_str()));
    } else if (k == "--prefix") {
      a.prefix = v;
    } else if (k == "--ack-every-ms") {
      a.ack_every = std::chrono::milliseconds(std::max(0, std::atoi(v.c_str())));
    } else if (k == "--reorder-ms") {
      a.reorder_window = std::chrono::milliseconds(std::max(0, std::atoi(v.c_str())));
    } else {
      std::fprintf(stderr,
                   "usage: im-bench-group [--server H:P] [--members N] [--senders N] "
                   "[--seconds S] [--prefix P] [--ack-every-ms MS] [--reorder-ms MS]\n");
      std::exit(2);
    }
  }
  a.senders = std::min(a.senders, a.members);
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  std::vector<std::unique_ptr<ImClient>> members;
  std::vector<std::string> names;
  im::client::ClientFrame create;
  create.mutable_group_create()->set_name(args.prefix + "-bench");
  for (int i = 0; i < args.members; ++i) {
    const std::string name = args.prefix + std::to_string(i);
    members.push_back(im::bench::LoggedIn(args.server, name));
    names.push_back(name);
    if (i > 0) create.mutable_group_create()->add_members(name);
  }
  auto created = members[0]->Request(std::move(create));
  if (!created.ok()) {
    std::fprintf(stderr, "group create: %s\n", std::string(created.status().message()).c_str());
    return 3;
  }
  const std::uint64_t group = created->group_create().group_id();

  std::mutex mutex;
  std::map<std::string, Clock::time_point> sent_at;  // text -> when sent
  std::vector<double> ack_ms, deliver_ms;
  std::atomic<bool> running{true};
  std::atomic<long> acked{0}, failed{0}, notices{0}, deliveries{0};

  std::vector<std::thread> threads;
  for (int i = 0; i < args.members; ++i) {
    threads.emplace_back([&, i] {  // every member receives, as a client would
      im::cli::Inbox inbox(
          members[i].get(),
          [&](const im::client::ChatMessage& m) {
            const auto now = Clock::now();
            std::lock_guard lock(mutex);
            auto it = sent_at.find(m.text());
            // Not the "created" message, nor the member's own (never pushed back).
            if (it == sent_at.end() || m.sender() == names[i]) return;
            ++deliveries;
            deliver_ms.push_back(
                std::chrono::duration<double, std::milli>(now - it->second).count());
          },
          im::cli::InboxOptions{args.ack_every, args.reorder_window});
      inbox.CatchUp().IgnoreError();
      while (running) {
        auto e = members[i]->NextEvent(std::chrono::milliseconds(100));
        if (!e.ok()) {
          inbox.Flush().IgnoreError();
          continue;
        }
        if (e->has_notice()) ++notices;
        inbox.Handle(*e).IgnoreError();
      }
    });
  }
  const auto start = Clock::now();
  const auto until = start + std::chrono::seconds(args.seconds);
  std::vector<std::thread> senders;
  for (int i = 0; i < args.senders; ++i) {
    senders.emplace_back([&, i] {  // closed loop
      for (long n = 0; Clock::now() < until; ++n) {
        const std::string text = "g" + std::to_string(i) + "-" + std::to_string(n);
        const auto t0 = Clock::now();
        {
          std::lock_guard lock(mutex);
          sent_at[text] = t0;
        }
        auto r = members[i]->SendGroupText(group, text);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!r.ok()) {
          ++failed;
          continue;
        }
        ++acked;
        std::lock_guard lock(mutex);
        ack_ms.push_back(ms);
      }
    });
  }
  for (auto& t : senders) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // last deliveries
  running = false;
  for (auto& t : threads) t.join();

  std::lock_guard lock(mutex);
  const long expected = acked.load() * (args.members - 1);  // everyone but the sender
  std::printf(
      "members=%d senders=%d seconds=%.1f acked=%ld failed=%ld msgs_per_s=%.0f "
      "deliveries=%ld (expected %ld) deliveries_per_s=%.0f notices=%ld ack_every_ms=%ld "
      "reorder_ms=%ld\n",
      args.members, args.senders, elapsed, acked.load(), failed.load(), acked.load() / elapsed,
      deliveries.load(), expected, deliveries.load() / elapsed, notices.load(),
      static_cast<long>(args.ack_every.count()), static_cast<long>(args.reorder_window.count()));
  std::printf("ack_ms p50=%.2f p99=%.2f  deliver_ms p50=%.2f p99=%.2f\n",
              im::bench::Percentile(ack_ms, 0.50), im::bench::Percentile(ack_ms, 0.99),
              im::bench::Percentile(deliver_ms, 0.50), im::bench::Percentile(deliver_ms, 0.99));
  return 0;
}
