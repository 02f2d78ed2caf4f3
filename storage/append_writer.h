#pragma once
// Appends written together (group commit): each Submit joins whatever other
// appends are waiting, and MessageStore::AppendMany stores the batch in one
// transaction. Every append is answered only after that commit, with its own
// result, and a newly stored 1:1 message comes back with the routes of its
// recipient and sender (one pipelined Redis lookup per batch), so logic
// pushes it without another call.
//
// One committer thread by default: batches commit in arrival order, so
// appends to one conversation take seqs in the order they reached storage.
// Thread-safe. The stores must outlive it.

#include <functional>
#include <vector>

#include "common/metrics.h"
#include "storage/group_committer.h"
#include "storage/message_store.h"
#include "storage/route_store.h"

namespace im::storage {

class AppendWriter {
 public:
  using Done = std::function<void(absl::StatusOr<internal::AppendMessageResponse>)>;

  // With `metrics`: batches, appends and commit times are counted.
  AppendWriter(MessageStore* messages, RouteStore* routes, std::size_t threads,
               common::Metrics* metrics = nullptr);

  // Appends; `done` runs once, on a committer thread, after the commit.
  // Returns false, without calling `done`, when too many appends are waiting.
  bool Submit(Append append, Done done);

 private:
  struct Pending {
    Append append;
    Done done;
  };
  void Commit(std::vector<Pending>& batch);

  MessageStore* messages_;
  RouteStore* routes_;
  common::MetricCounter* batches_ = nullptr;
  common::MetricCounter* appended_ = nullptr;
  common::MetricHistogram* commit_seconds_ = nullptr;
  GroupCommitter<Pending> committer_;
};

}  // namespace im::storage
