// The Desk RPC of StorageService (see storage.proto DeskCall and desk_store.h).

#include <algorithm>
#include <map>

#include "common/str_cat.h"
#include "storage/storage_service.h"
#include "storage/storage_service_call.h"

namespace im::storage {
namespace {

constexpr int kMaxAgents = 1000;
constexpr std::uint32_t kQueueHandedAtOnce = 100;

}  // namespace

absl::Status StorageService::RunDeskCall(const internal::DeskCall& call,
                                         internal::DeskResult* result) {
  using Op = internal::DeskCall;
  auto one = [result](absl::StatusOr<internal::DeskTicket> ticket) -> absl::Status {
    if (!ticket.ok()) return ticket.status();
    *result->add_tickets() = std::move(*ticket);
    return absl::OkStatus();
  };
  switch (call.op()) {
    case Op::ROUTE: {
      if (call.agents_size() > kMaxAgents) {
        return absl::InvalidArgumentError(common::StrCat("a desk has at most ", kMaxAgents,
                                                         " agents"));
      }
      auto agents = desks_->UserIds({call.agents().begin(), call.agents().end()});
      if (!agents.ok()) return agents.status();
      std::vector<std::uint64_t> online;
      std::map<std::uint64_t, internal::UserRoutes> routes_of;
      if (!agents->empty()) {
        auto routes = routes_->Lookup(*agents);
        if (!routes.ok()) return routes.status();
        for (auto& user : *routes->mutable_users()) {
          if (user.routes_size() == 0) continue;
          online.push_back(user.user_id());
          routes_of[user.user_id()] = std::move(user);
        }
        std::sort(online.begin(), online.end());
      }
      auto ticket = desks_->Route(call.desk_id(), call.customer_id(), online);
      if (!ticket.ok()) return ticket.status();
      if (auto it = routes_of.find(ticket->agent_id()); it != routes_of.end()) {
        *result->mutable_agent_routes()->add_users() = it->second;
      }
      *result->add_tickets() = std::move(*ticket);
      return absl::OkStatus();
    }
    case Op::ASSIGN_QUEUED: {
      auto given = desks_->AssignQueued(call.desk_id(), call.agent_id(), kQueueHandedAtOnce);
      if (!given.ok()) return given.status();
      for (auto& t : *given) *result->add_tickets() = std::move(t);
      return absl::OkStatus();
    }
    case Op::OPEN:
      return one(desks_->Open(call.desk_id(), call.customer_id()));
    case Op::TRANSFER:
      return one(desks_->Transfer(call.desk_id(), call.customer_id(), call.agent_id(),
                                  call.to_agent_id()));
    case Op::CLOSE:
      return one(desks_->Close(call.desk_id(), call.customer_id(), call.agent_id()));
    case Op::VIEW: {
      auto view = desks_->View(call.desk_id(), call.agent_id());
      if (!view.ok()) return view.status();
      *result->mutable_view() = std::move(*view);
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("unknown desk operation");
  }
}

grpc::ServerUnaryReactor* StorageService::Desk(grpc::CallbackServerContext* ctx,
                                               const internal::DeskCall* request,
                                               internal::DeskResult* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return RunDeskCall(*request, response);
  });
}

}  // namespace im::storage
