// throughput and latency: 1:1 messages between P sender -> receiver pairs.
// throughput is a closed loop (each sender keeps --in-flight messages
// outstanding): persisted messages per second, counted when acked (after the
// commit), with delivery to the online receiver checked. latency is an open
// loop at a fixed total --rate: send -> deliver percentiles measured from each
// message's intended send time.

#include <memory>

#include "bench/scenario_support.h"
#include "common/str_cat.h"

namespace im::bench {
namespace {

Report RunPairs(BenchContext& context, bool open_loop) {
  const BenchOptions& o = context.options;
  Report report;
  report.scenario = open_loop ? "latency" : "throughput";
  report.parameters =
      open_loop
          ? common::StrCat("pairs=", o.pairs, " rate=", o.rate, "/s seconds=", o.seconds)
          : common::StrCat("pairs=", o.pairs, " in_flight=", o.in_flight, " seconds=", o.seconds);
  std::vector<BenchUser> users;
  if (!TakeUsers(context, 2 * static_cast<std::size_t>(o.pairs), &users, &report)) return report;

  // Device 2p sends to device 2p+1.
  Fleet fleet(o.servers, o.threads, context.run_tag);
  for (const auto& u : users) fleet.Add(u);
  std::string error;
  if (fleet.StartAll(o.concurrency, std::chrono::seconds(60), &error) != fleet.size()) {
    report.failure = common::StrCat("not every device logged in: ", error);
    return report;
  }
  Tallies tallies(static_cast<std::size_t>(fleet.threads()));
  std::atomic<bool> measuring{false};
  std::vector<SendLoop*> loops(fleet.size(), nullptr);
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
    WorkerTally& tally = tallies[static_cast<std::size_t>(fleet.worker_of(i))];
    d.Record([&tally, &measuring, me = d.user().name](const client::ChatMessage& m,
                                                      std::int64_t intended, std::int64_t now) {
      if (m.sender() == me) return;  // a sender's own message, back by sync
      ++tally.delivered;
      if (measuring.load(std::memory_order_relaxed)) tally.deliver_us.Record(now - intended);
    });
    if (i % 2 != 0) return;
    loops[i] = StartSender(
        fleet, d, i, [to = users[i + 1].name](client::SendMessageRequest& r) { r.set_to_user(to); },
        context.run_tag, tally, measuring, open_loop ? o.rate / o.pairs : 0, o.in_flight);
  });

  const WindowTotals window = MeasureWindow(context, tallies, measuring);
  StopSenders(fleet, loops);
  Settle(fleet, [&] { return Outstanding(fleet, loops); });

  DeliveryCounts counts = fleet.Counts();
  std::vector<std::vector<std::uint64_t>> expected(fleet.size());  // receiver -> msg_ids
  for (const auto& a : GatherAcked(fleet, tallies)) expected[a.sender + 1].push_back(a.msg_id);
  CountLost(
      fleet, [&](std::size_t i) { return &expected[i]; }, &counts);
  report.delivery = counts;
  report.usage = window.usage;
  const double s = window.seconds;
  if (open_loop) report.Add("offered", window.sent / s, "msgs/s");
  report.Add("persisted (acked)", window.acked / s, "msgs/s", true);
  report.Add("delivered to receivers", window.delivered / s, "msgs/s");
  report.Add("refused sends (whole run)", static_cast<double>(Sum(tallies, &WorkerTally::refused)),
             "");
  report.AddCpuPer("message", window.acked);
  AddLatency(report, "ack", Merged(tallies, &WorkerTally::ack_us));
  AddLatency(report, "send->deliver", Merged(tallies, &WorkerTally::deliver_us), true);
  NoteRefusal(fleet, tallies, &report);
  return report;
}

}  // namespace

Report RunThroughput(BenchContext& context) { return RunPairs(context, false); }
Report RunLatency(BenchContext& context) { return RunPairs(context, true); }

}  // namespace im::bench
