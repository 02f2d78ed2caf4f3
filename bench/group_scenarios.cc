// fanout and biggroup: one group of --members online members spread over the
// access nodes, with --senders of them sending to it. fanout is a closed loop
// (push mode at the shipped threshold): deliveries per second and send ->
// deliver latency. biggroup sends at a fixed --rate to a group above the
// notice threshold: how long until each member has the notice, and until
// every member has synced each message.

#include <atomic>
#include <cstdio>
#include <future>
#include <memory>
#include <unordered_map>

#include "bench/scenario_support.h"
#include "common/str_cat.h"

namespace im::bench {
namespace {

// What one thread's members saw, beyond the shared tally.
struct GroupTally {
  std::vector<std::pair<std::uint64_t, std::int64_t>> notices;  // (max_seq, when), in window
  struct Reach {
    std::int64_t last_us = 0;  // when the last member got it
    std::uint32_t members = 0;
  };
  std::unordered_map<std::uint64_t, Reach> reach;  // msg_id -> how far it got
};

// Creates the group as device 0 (started) with every other fleet user.
absl::StatusOr<std::uint64_t> CreateGroup(Fleet& fleet, const std::vector<BenchUser>& users,
                                          const std::string& tag) {
  std::promise<absl::StatusOr<std::uint64_t>> created;
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
    if (i != 0) return;
    client::ClientFrame create;
    create.mutable_group_create()->set_name(common::StrCat("bench ", tag));
    for (std::size_t u = 1; u < users.size(); ++u) {
      create.mutable_group_create()->add_members(users[u].name);
    }
    d.connection()->Call(std::move(create), [&created](const client::ServerFrame& r) {
      if (r.status().code() != 0) {
        return created.set_value(absl::UnknownError(r.status().message()));
      }
      created.set_value(r.group_create().group_id());
    });
  });
  return created.get_future().get();
}

void DissolveGroup(Fleet& fleet, std::uint64_t group_id) {
  std::promise<void> done;
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
    if (i != 0) return;
    client::ClientFrame dissolve;
    dissolve.mutable_group_change()->set_group_id(group_id);
    dissolve.mutable_group_change()->set_dissolve(true);
    d.connection()->Call(std::move(dissolve),
                         [&done](const client::ServerFrame&) { done.set_value(); });
  });
  done.get_future().wait();
}

Report RunGroup(BenchContext& context, bool big) {
  const BenchOptions& o = context.options;
  Report report;
  report.scenario = big ? "biggroup" : "fanout";
  const int senders = std::max(1, std::min(o.senders, o.members));
  report.parameters = big ? common::StrCat("members=", o.members, " senders=", senders,
                                           " rate=", o.rate, "/s seconds=", o.seconds)
                          : common::StrCat("members=", o.members, " senders=", senders,
                                           " in_flight=", o.in_flight, " seconds=", o.seconds);
  std::vector<BenchUser> users;
  if (!TakeUsers(context, static_cast<std::size_t>(std::max(2, o.members)), &users, &report)) {
    return report;
  }
  Fleet fleet(o.servers, o.threads, context.run_tag);
  for (const auto& u : users) fleet.Add(u);
  std::string error;
  if (fleet.Start(0, 1, 1, std::chrono::seconds(30), &error) != 1) {
    report.failure = common::StrCat("the group owner could not log in: ", error);
    return report;
  }
  auto group = CreateGroup(fleet, users, context.run_tag);
  if (!group.ok()) {
    report.failure = common::StrCat("group create: ", group.status().message());
    return report;
  }
  const std::uint64_t group_id = *group;
  if (fleet.Start(1, fleet.size(), o.concurrency, std::chrono::seconds(300), &error) !=
      fleet.size() - 1) {
    report.failure = common::StrCat("not every member logged in: ", error);
    DissolveGroup(fleet, group_id);
    return report;
  }

  Tallies tallies(static_cast<std::size_t>(fleet.threads()));
  std::vector<GroupTally> group_tallies(static_cast<std::size_t>(fleet.threads()));
  std::atomic<bool> measuring{false};
  std::vector<SendLoop*> loops(fleet.size(), nullptr);
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
    const auto w = static_cast<std::size_t>(fleet.worker_of(i));
    WorkerTally& tally = tallies[w];
    GroupTally& gt = group_tallies[w];
    d.Record(
        [&tally, &gt, &measuring, me = d.user().name](const client::ChatMessage& m,
                                                      std::int64_t intended, std::int64_t now) {
          if (m.sender() == me) return;  // a sender's own message comes back by sync, late
          ++tally.delivered;
          if (measuring.load(std::memory_order_relaxed)) tally.deliver_us.Record(now - intended);
          auto& reach = gt.reach[m.msg_id()];
          reach.last_us = std::max(reach.last_us, now);
          ++reach.members;
        },
        [&gt, &measuring](const client::ConversationNotice& n, std::int64_t now) {
          if (measuring.load(std::memory_order_relaxed)) gt.notices.emplace_back(n.max_seq(), now);
        });
    if (i >= static_cast<std::size_t>(senders)) return;
    loops[i] = StartSender(
        fleet, d, i, [group_id](client::SendMessageRequest& r) { r.set_group_id(group_id); },
        context.run_tag, tally, measuring, big ? o.rate / senders : 0, o.in_flight);
  });

  const WindowTotals window = MeasureWindow(context, tallies, measuring);
  StopSenders(fleet, loops);
  Settle(fleet, [&] { return Outstanding(fleet, loops); });

  // Every member must hold every acked message, but a sender its own: a
  // device is not sent back what it sent (DeliveryTracker::OfferOwn).
  const auto acked_messages = GatherAcked(fleet, tallies);
  std::vector<std::uint64_t> all_ids;
  std::vector<std::vector<std::uint64_t>> all_but_own(static_cast<std::size_t>(senders));
  std::unordered_map<std::uint64_t, std::int64_t> intended_by_seq;
  for (const auto& a : acked_messages) {
    all_ids.push_back(a.msg_id);
    for (std::size_t i = 0; i < all_but_own.size(); ++i) {
      if (i != static_cast<std::size_t>(a.sender)) all_but_own[i].push_back(a.msg_id);
    }
    intended_by_seq[a.seq] = a.intended_us;
  }
  DeliveryCounts counts = fleet.Counts();
  CountLost(
      fleet, [&](std::size_t i) { return i < all_but_own.size() ? &all_but_own[i] : &all_ids; },
      &counts);
  if (counts.lost > 0) {
    for (const auto& a : acked_messages) {
      std::fprintf(stderr, "im-bench: acked msg_id=%llu conv=%llu seq=%llu\n",
                   static_cast<unsigned long long>(a.msg_id),
                   static_cast<unsigned long long>(a.conv_id),
                   static_cast<unsigned long long>(a.seq));
    }
  }
  report.delivery = counts;
  report.usage = window.usage;
  // A sender may see the next message pushed before its own send is
  // answered (they travel different paths); the other members see pushes
  // ahead of a gap only if the server pushed out of order.
  std::atomic<std::uint64_t> ahead_at_listeners{0};
  fleet.ForEachDevice([&](BenchDevice& d, std::size_t i) {
    if (i >= static_cast<std::size_t>(senders)) ahead_at_listeners += d.counts().pushed_ahead;
  });
  report.Add("pushes ahead of a gap at members that do not send",
             static_cast<double>(ahead_at_listeners.load()), "", !big);

  const double s = window.seconds;
  report.Add("group messages persisted", window.acked / s, "msgs/s", true);
  report.Add("deliveries", window.delivered / s, "msgs/s", true);
  report.Add("refused sends (whole run)", static_cast<double>(Sum(tallies, &WorkerTally::refused)),
             "");
  report.AddCpuPer("delivery", window.delivered);
  report.AddCpuPer("group message", window.acked);
  AddLatency(report, "send->deliver", Merged(tallies, &WorkerTally::deliver_us), !big);
  if (big) {
    LatencyHistogram notice_us, all_synced_us;
    std::unordered_map<std::uint64_t, GroupTally::Reach> reach;
    std::vector<GroupTally> copies(group_tallies.size());
    fleet.RunOnEach([&](int w) { copies[w] = group_tallies[w]; });
    for (const auto& gt : copies) {
      for (const auto& [seq, when] : gt.notices) {
        if (auto it = intended_by_seq.find(seq); it != intended_by_seq.end()) {
          notice_us.Record(when - it->second);
        }
      }
      for (const auto& [id, r] : gt.reach) {
        auto& all = reach[id];
        all.last_us = std::max(all.last_us, r.last_us);
        all.members += r.members;
      }
    }
    std::uint64_t incomplete = 0;
    for (const auto& a : acked_messages) {
      if (a.intended_us < window.start_us || a.intended_us > window.end_us) continue;
      const auto it = reach.find(a.msg_id);
      if (it == reach.end() || it->second.members + 1 < fleet.size()) {
        ++incomplete;
        continue;
      }
      all_synced_us.Record(it->second.last_us - a.intended_us);
    }
    AddLatency(report, "notice", notice_us, true);
    AddLatency(report, "every member has it", all_synced_us, true);
    report.Add("messages not reaching every member", static_cast<double>(incomplete), "", true);
  }
  NoteRefusal(fleet, tallies, &report);
  DissolveGroup(fleet, group_id);
  return report;
}

}  // namespace

Report RunFanout(BenchContext& context) { return RunGroup(context, false); }
Report RunBigGroup(BenchContext& context) { return RunGroup(context, true); }

}  // namespace im::bench
