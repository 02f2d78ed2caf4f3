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
  std::vector<std::uint32_t> max_devices;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto it = sessions->find(batch[i].request.token_hash());
    if (it == sessions->end()) {
      batch[i].done(absl::NotFoundError("session expired or unknown"));
      continue;
    }
    const auto& asked = batch[i].request;
    if ((!asked.username().empty() && asked.username() != it->second.username()) ||
        (!asked.device_id().empty() && asked.device_id() != it->second.device_id())) {
      batch[i].done(absl::PermissionDeniedError("the session is for another user or device"));
      continue;
    }
    internal::Route route = batch[i].request.route();
    route.set_device_id(it->second.device_id());
    found.push_back(i);
    routes.emplace_back(it->second.user_id(), std::move(route));
    max_devices.push_back(batch[i].request.max_devices());
  }
  if (found.empty()) return;
  auto registered = routes_->RegisterMany(routes, max_devices);
  for (std::size_t k = 0; k < found.size(); ++k) {
    Item& item = batch[found[k]];
    const absl::Status route_status =
        registered.ok() ? (*registered)[k].status() : registered.status();
    internal::ResumeSessionResponse response = sessions->at(item.request.token_hash());
    if (route_status.ok()) {
      *response.mutable_route() = std::move(*(*registered)[k]);
    } else if (route_status.code() != absl::StatusCode::kUnavailable) {
      item.done(route_status);
      continue;
    }  // Redis is down: the login stands with route epoch 0 (see the header)
    item.done(std::move(response));
  }
}

}  // namespace im::storage
