#include "storage/session_resumer.h"

namespace im::storage {
namespace {

constexpr std::size_t kMaxBatch = 200;

}  // namespace

SessionResumer::SessionResumer(UserStore* users, RouteStore* routes, std::size_t threads,
                               std::size_t max_queued)
    : users_(users),
      routes_(routes),
      committer_(threads, kMaxBatch, max_queued,
                 [this](std::vector<Item>& batch) { Resume(batch); }) {}

void SessionResumer::Submit(internal::ResumeSessionRequest request, Done done) {
  Item item{std::move(request), std::move(done)};
  if (!committer_.Submit(item)) {
    item.done(absl::ResourceExhaustedError("storage is overloaded"));
  }
}

void SessionResumer::Resume(std::vector<Item>& batch) {
  std::vector<std::string> tokens;
  tokens.reserve(batch.size());
  for (const Item& item : batch) tokens.push_back(item.request.token_hash());
  auto sessions = users_->FindSessions(tokens);
  if (!sessions.ok()) {
    for (Item& item : batch) item.done(sessions.status());
    return;
  }
  // The batch's items with a session, and their routes on the session's device.
  std::vector<std::size_t> found;
  std::vector<RouteStore::UserRoute> routes;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto it = sessions->find(batch[i].request.token_hash());
    if (it == sessions->end()) {
      batch[i].done(absl::NotFoundError("session expired or unknown"));
      continue;
    }
    internal::Route route = batch[i].request.route();
    route.set_device_id(it->second.device_id());
    found.push_back(i);
    routes.emplace_back(it->second.user_id(), std::move(route));
  }
  if (found.empty()) return;
  auto registered = routes_->RegisterMany(routes);
  for (std::size_t k = 0; k < found.size(); ++k) {
    Item& item = batch[found[k]];
    if (!registered.ok()) {
      item.done(registered.status());
      continue;
    }
    if (!(*registered)[k].ok()) {
      item.done((*registered)[k].status());
      continue;
    }
    internal::ResumeSessionResponse response = sessions->at(item.request.token_hash());
    *response.mutable_route() = std::move(*(*registered)[k]);
    item.done(std::move(response));
  }
}

}  // namespace im::storage
