#pragma once
// What one scenario run found: named figures, the delivery checker's counts
// (for scenarios that move messages), and the CPU and memory each process of
// the cluster used in the measured window. Printed as a table for people or
// as one JSON object for scripts. A plain value.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/process_usage.h"

namespace im::bench {

// The delivery checker's verdict over every device of a run:
//   lost        acknowledged to its sender, never delivered to a recipient device
//   duplicated  delivered twice to one device, or again after the device's ack
//   reordered   a conversation's messages delivered to a device out of seq order
//   unexpected  a message this run never sent (or a seq carrying two messages)
// and, not a verdict on the guarantees but a failed run all the same:
//   unsettled   devices whose final sync did not finish within the bench's
//               bound (an overloaded cluster); their messages are not checked
// and, not a verdict either (the client's window puts such messages back in
// order by syncing):
//   pushed_ahead  pushes that opened a gap: arrived, while the device was not
//               syncing, before an earlier message of their conversation (the
//               server pushed out of order, or lost one)
struct DeliveryCounts {
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t unsettled = 0;
  std::uint64_t pushed_ahead = 0;

  void Add(const DeliveryCounts& o) {
    delivered += o.delivered;
    lost += o.lost;
    duplicated += o.duplicated;
    reordered += o.reordered;
    unexpected += o.unexpected;
    unsettled += o.unsettled;
    pushed_ahead += o.pushed_ahead;
  }
  bool guarantees_held() const {
    return lost == 0 && duplicated == 0 && reordered == 0 && unexpected == 0;
  }
  bool ok() const { return guarantees_held() && unsettled == 0; }
};

struct Figure {
  std::string name;
  double value = 0;
  std::string unit;
  bool headline = false;  // shown in the one-line summary
};

struct Report {
  std::string scenario;
  std::string parameters;  // "pairs=16 inflight=4 seconds=10"
  std::vector<Figure> figures;
  std::optional<DeliveryCounts> delivery;
  std::optional<WindowUsage> usage;
  std::string failure;  // why the run could not be measured; empty if it could

  void Add(std::string name, double value, std::string unit, bool headline = false) {
    figures.push_back({std::move(name), value, std::move(unit), headline});
  }
  // Adds "cluster CPU per <what>" over `units` (messages, logins...) from usage.
  void AddCpuPer(const std::string& what, double units);

  // Failed to run, or the delivery checker found a loss or duplicate.
  bool ok() const { return failure.empty() && (!delivery || delivery->ok()); }
  std::string Table() const;
  // One Markdown table row: scenario | parameters | headline figures |
  // cluster CPU | delivery check | bound by.
  std::string SummaryRow() const;
  std::string Json() const;
};

}  // namespace im::bench
