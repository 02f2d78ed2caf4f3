// im-bench-send: end-to-end persisted 1:1 messages per second and
// send-to-deliver latency through a running cluster, over the real protocol.
//
//   im-bench-send --server 127.0.0.1:7000 [--pairs 16] [--seconds 10] [--prefix b]
//
// Registers 2*pairs users (ignoring "already taken"), logs each in on its own
// connection, and has each sender send to its partner in a closed loop (one
// message in flight per sender). Prints acknowledged messages per second, the
// ack latency (send -> stored and answered) and the delivery latency (send ->
// pushed to the online recipient) as p50/p99. A benchmark, not a test: it
// asserts nothing and prints figures.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client-cli/im_client.h"
#include "tests/bench/bench_support.h"

namespace {

using Clock = std::chrono::steady_clock;
using im::cli::ImClient;

struct Args {
  std::string server = "127.0.0.1:7000";
  int pairs = 16;
  int seconds = 10;
  std::string prefix = "bench";
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--server")
      a.server = v;
    else if (k == "--pairs")
      a.pairs = std::max(1, std::atoi(v.c_str()));
    else if (k == "--seconds")
      a.seconds = std::max(1, std::atoi(v.c_str()));
    else if (k == "--prefix")
      a.prefix = v;
    else {
      std::fprintf(stderr,
                   "usage: im-bench-send [--server H:P] [--pairs N] [--seconds S] [--prefix P]\n");
      std::exit(2);
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  std::vector<std::unique_ptr<ImClient>> senders, receivers;
  std::vector<std::string> receiver_names;
  for (int i = 0; i < args.pairs; ++i) {
    senders.push_back(im::bench::LoggedIn(args.server, args.prefix + "s" + std::to_string(i)));
    receiver_names.push_back(args.prefix + "r" + std::to_string(i));
    receivers.push_back(im::bench::LoggedIn(args.server, receiver_names.back()));
  }

  std::mutex mutex;
  std::map<std::string, Clock::time_point> sent_at;  // text -> when sent
  std::vector<double> ack_ms, deliver_ms;
  std::atomic<bool> running{true};
  std::atomic<long> acked{0}, failed{0};

  std::vector<std::thread> threads;
  for (int i = 0; i < args.pairs; ++i) {
    threads.emplace_back([&, i] {  // receiver: records delivery latency
      while (running) {
        auto e = receivers[i]->NextEvent(std::chrono::milliseconds(200));
        if (!e.ok() || !e->has_message()) continue;
        const auto now = Clock::now();
        std::lock_guard lock(mutex);
        auto it = sent_at.find(e->message().text());
        if (it == sent_at.end()) continue;
        deliver_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
        sent_at.erase(it);
      }
    });
  }
  const auto start = Clock::now();
  const auto until = start + std::chrono::seconds(args.seconds);
  for (int i = 0; i < args.pairs; ++i) {
    threads.emplace_back([&, i] {  // sender: closed loop
      for (long n = 0; Clock::now() < until; ++n) {
        const std::string text = "s" + std::to_string(i) + "-" + std::to_string(n);
        const auto t0 = Clock::now();
        {
          std::lock_guard lock(mutex);
          sent_at[text] = t0;
        }
        auto r = senders[i]->SendText(receiver_names[i], text);
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
  for (int i = args.pairs; i < 2 * args.pairs; ++i) threads[i].join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // last deliveries
  running = false;
  for (int i = 0; i < args.pairs; ++i) threads[i].join();

  std::lock_guard lock(mutex);
  std::printf("pairs=%d seconds=%.1f acked=%ld failed=%ld msgs_per_s=%.0f\n", args.pairs, elapsed,
              acked.load(), failed.load(), acked.load() / elapsed);
  std::printf("ack_ms p50=%.2f p99=%.2f  deliver_ms p50=%.2f p99=%.2f (delivered=%zu)\n",
              im::bench::Percentile(ack_ms, 0.50), im::bench::Percentile(ack_ms, 0.99),
              im::bench::Percentile(deliver_ms, 0.50), im::bench::Percentile(deliver_ms, 0.99),
              deliver_ms.size());
  return 0;
}
