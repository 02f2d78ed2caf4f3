#include "bench/scenario_support.h"

#include <cstdio>
#include <thread>

#include "common/str_cat.h"

namespace im::bench {

std::uint64_t Sum(const Tallies& t, std::atomic<std::uint64_t> WorkerTally::*counter) {
  std::uint64_t sum = 0;
  for (const auto& w : t) sum += (w.*counter).load();
  return sum;
}

LatencyHistogram Merged(const Tallies& t, LatencyHistogram WorkerTally::*histogram) {
  LatencyHistogram all;
  for (const auto& w : t) all.Merge(w.*histogram);
  return all;
}

void AddLatency(Report& report, const std::string& name, const LatencyHistogram& h, bool headline) {
  const struct {
    const char* label;
    double p;
  } kPoints[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}};
  for (const auto& point : kPoints) {
    report.Add(common::StrCat(name, " ", point.label), h.Percentile(point.p) / 1000.0, "ms",
               headline && (point.p == 0.5 || point.p == 0.99));
  }
  report.Add(common::StrCat(name, " max"), h.max() / 1000.0, "ms");
}

void SleepSeconds(double seconds) {
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6)));
}

SendLoop* StartSender(Fleet& fleet, BenchDevice& device, std::size_t i, SendLoop::Target target,
                      const std::string& tag, WorkerTally& tally,
                      const std::atomic<bool>& measuring, double rate, int in_flight) {
  auto loop = std::make_shared<SendLoop>(device, i, std::move(target), tag, tally, measuring);
  fleet.Adopt(fleet.worker_of(i), loop);
  if (rate > 0) {
    loop->StartOpen(rate);
  } else {
    loop->StartClosed(in_flight);
  }
  return loop.get();
}

void StopSenders(Fleet& fleet, const std::vector<SendLoop*>& loops) {
  fleet.ForEachDevice([&](BenchDevice&, std::size_t i) {
    if (loops[i] != nullptr) loops[i]->Stop();
  });
}

int Outstanding(Fleet& fleet, const std::vector<SendLoop*>& loops) {
  std::vector<int> per(fleet.threads(), 0);
  fleet.ForEachDevice([&](BenchDevice&, std::size_t i) {
    if (loops[i] != nullptr) per[fleet.worker_of(i)] += loops[i]->outstanding();
  });
  int sum = 0;
  for (int n : per) sum += n;
  return sum;
}

WindowTotals MeasureWindow(const BenchContext& context, const Tallies& tallies,
                           std::atomic<bool>& measuring) {
  SleepSeconds(context.options.warmup);
  Window window(context.usage);
  const std::uint64_t sent0 = Sum(tallies, &WorkerTally::sent);
  const std::uint64_t acked0 = Sum(tallies, &WorkerTally::acked);
  const std::uint64_t delivered0 = Sum(tallies, &WorkerTally::delivered);
  WindowTotals totals;
  window.Begin();
  totals.start_us = NowMicros();
  measuring = true;
  SleepSeconds(context.options.seconds);
  measuring = false;
  totals.end_us = NowMicros();
  window.End();
  totals.sent = static_cast<double>(Sum(tallies, &WorkerTally::sent) - sent0);
  totals.acked = static_cast<double>(Sum(tallies, &WorkerTally::acked) - acked0);
  totals.delivered = static_cast<double>(Sum(tallies, &WorkerTally::delivered) - delivered0);
  totals.seconds = window.seconds();
  totals.usage = window.usage();
  return totals;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool TakeUsers(const BenchContext& context, std::size_t n, std::vector<BenchUser>* users,
               Report* report) {
  if (context.users.size() < n) {
    report->failure = common::StrCat("needs ", n, " seeded users, the users file has ",
                                     context.users.size(), ": run im-bench seed --users ", n);
    return false;
  }
  users->assign(context.users.begin(), context.users.begin() + static_cast<std::ptrdiff_t>(n));
  return true;
}

std::vector<WorkerTally::Acked> GatherAcked(Fleet& fleet, Tallies& tallies) {
  std::vector<std::vector<WorkerTally::Acked>> per(tallies.size());
  fleet.RunOnEach([&](int w) { per[w] = tallies[w].acked_messages; });
  std::vector<WorkerTally::Acked> all;
  for (auto& p : per) all.insert(all.end(), p.begin(), p.end());
  return all;
}

void CountLost(Fleet& fleet,
               const std::function<const std::vector<std::uint64_t>*(std::size_t)>& expected,
               DeliveryCounts* counts) {
  std::vector<DeliveryCounts> per(fleet.threads());
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
    const auto* ids = expected(i);
    if (ids == nullptr || ids->empty()) return;
    DeliveryCounts& c = per[fleet.worker_of(i)];
    if (!d.synced()) {
      ++c.unsettled;
      return;
    }
    for (std::uint64_t id : *ids) {
      if (d.Has(id)) continue;
      if (c.lost++ < 3) {  // a few examples for whoever reads a broken guarantee
        std::fprintf(stderr, "im-bench: lost msg_id=%llu at %s\n",
                     static_cast<unsigned long long>(id), d.Describe().c_str());
      }
    }
  });
  counts->lost = counts->unsettled = 0;
  for (const auto& c : per) {
    counts->lost += c.lost;
    counts->unsettled += c.unsettled;
  }
}

void NoteRefusal(Fleet& fleet, Tallies& tallies, Report* report) {
  std::vector<std::string> per(tallies.size());
  fleet.RunOnEach([&](int w) { per[w] = tallies[w].first_refusal; });
  for (const auto& r : per) {
    if (r.empty()) continue;
    report->parameters += common::StrCat("  (first refusal: ", r, ")");
    return;
  }
}

void Settle(Fleet& fleet, const std::function<int()>& outstanding) {
  WaitFor([&] { return outstanding() == 0; }, std::chrono::seconds(15));
  SleepSeconds(0.5);  // pushes of the last acks
  // Shared with the callbacks: a sync still running after the wait must not
  // touch this frame.
  auto pending = std::make_shared<std::atomic<std::size_t>>(0);
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t) {
    if (!d.connected()) return;
    ++*pending;
    d.SyncNow([pending](absl::Status) { --*pending; });
  });
  WaitFor([&] { return pending->load() == 0; }, std::chrono::seconds(90));
}

}  // namespace im::bench
