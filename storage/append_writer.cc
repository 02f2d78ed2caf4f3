#include "storage/append_writer.h"

#include <chrono>
#include <map>

#include "common/logging.h"

namespace im::storage {
namespace {

constexpr std::size_t kMaxAppendsPerBatch = 256;
constexpr std::size_t kMaxWaiting = 20000;

}  // namespace

AppendWriter::AppendWriter(MessageStore* messages, RouteStore* routes, std::size_t threads,
                           common::Metrics* metrics)
    : messages_(messages),
      routes_(routes),
      committer_(threads, kMaxAppendsPerBatch, kMaxWaiting,
                 [this](std::vector<Pending>& batch) { Commit(batch); }) {
  if (metrics != nullptr) {
    batches_ = &metrics->Counter("im_storage_append_batches_total",
                                 "Group commits of appends (one transaction each).");
    appended_ = &metrics->Counter("im_storage_appends_total",
                                  "Appends committed in those batches (resends included).");
    commit_seconds_ = &metrics->Histogram("im_storage_append_commit_seconds",
                                          "Time to commit one batch of appends.",
                                          common::Metrics::LatencyBuckets());
  }
}

bool AppendWriter::Submit(Append append, Done done) {
  Pending pending{std::move(append), std::move(done)};
  return committer_.Submit(pending);
}

void AppendWriter::Commit(std::vector<Pending>& batch) {
  std::vector<Append> appends;
  appends.reserve(batch.size());
  for (Pending& p : batch) appends.push_back(std::move(p.append));
  const auto started = std::chrono::steady_clock::now();
  messages_->AppendMany(appends).IgnoreError();  // every result says it
  if (batches_ != nullptr) {
    batches_->Add();
    appended_->Add(appends.size());
    commit_seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

  // Routes for the push of each newly stored 1:1 message, in one lookup.
  std::vector<std::uint64_t> users;
  for (const Append& a : appends) {
    if (a.group_id == 0 && a.result.ok() && !a.result->duplicate()) {
      users.insert(users.end(), {a.recipient_id, a.sender_id});
    }
  }
  std::map<std::uint64_t, const internal::UserRoutes*> routes_of;
  absl::StatusOr<internal::GetRoutesResponse> routes = internal::GetRoutesResponse{};
  if (!users.empty()) {
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    routes = routes_->Lookup(users);
    if (routes.ok()) {
      for (const auto& u : routes->users()) routes_of[u.user_id()] = &u;
    } else {  // committed all the same: logic looks the routes up itself
      common::GetLogger("storage")->warn("event=append_routes_failed status=\"{}\"",
                                         routes.status().ToString());
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Append& a = appends[i];
    if (routes.ok() && a.group_id == 0 && a.result.ok() && !a.result->duplicate()) {
      auto* found = a.result->mutable_routes();
      for (std::uint64_t user : {a.recipient_id, a.sender_id}) {
        if (auto it = routes_of.find(user); it != routes_of.end()) {
          *found->add_users() = *it->second;
        } else {
          found->add_users()->set_user_id(user);  // known to have no route
        }
      }
    }
    batch[i].done(std::move(a.result));
  }
}

}  // namespace im::storage
