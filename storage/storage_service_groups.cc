// The group RPCs of StorageService (see storage.proto and group_store.h).

#include "common/group_protocol.h"
#include "common/str_cat.h"
#include "storage/storage_service.h"
#include "storage/storage_service_call.h"

namespace im::storage {
namespace {

constexpr std::uint32_t kMaxGroupLimit = 100000;

absl::Status CheckLimit(std::uint32_t max_members, int names) {
  if (max_members == 0 || max_members > kMaxGroupLimit) {
    return absl::InvalidArgumentError("max_members must be 1 to 100000");
  }
  if (static_cast<std::uint32_t>(names) > max_members) {
    return absl::FailedPreconditionError(
        common::StrCat("more users than the group limit of ", max_members));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* StorageService::CreateGroup(grpc::CallbackServerContext* ctx,
                                                      const internal::CreateGroupRequest* request,
                                                      internal::GroupChangeResult* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (auto s = common::ValidateGroupName(request->name()); !s.ok()) return s;
    if (auto s = CheckLimit(request->max_members(), request->members_size()); !s.ok()) return s;
    std::vector<std::string> members(request->members().begin(), request->members().end());
    return Fill(groups_->Create(request->owner_id(), request->name(), members,
                                request->max_members(), request->record_webhook_event()),
                response);
  });
}

grpc::ServerUnaryReactor* StorageService::ChangeGroup(grpc::CallbackServerContext* ctx,
                                                      const internal::ChangeGroupRequest* request,
                                                      internal::GroupChangeResult* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (auto s = common::ValidateGroupChange(request->change()); !s.ok()) return s;
    if (auto s = CheckLimit(request->max_members(), request->change().invite().usernames_size());
        !s.ok()) {
      return s;
    }
    return Fill(groups_->Change(request->actor_id(), request->change(), request->max_members(),
                                request->record_webhook_event()),
                response);
  });
}

grpc::ServerUnaryReactor* StorageService::GetGroupInfo(grpc::CallbackServerContext* ctx,
                                                       const internal::GroupRef* request,
                                                       internal::GroupRecord* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(groups_->Info(request->user_id(), request->group_id()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::ListGroupMembers(
    grpc::CallbackServerContext* ctx, const internal::ListGroupMembersRequest* request,
    internal::GroupMemberPage* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    auto page = groups_->Members(request->user_id(), request->group_id(), request->after_user_id(),
                                 request->limit());
    if (!page.ok()) return page.status();
    // Who of this page is online: one pipelined route lookup.
    std::vector<std::uint64_t> ids;
    for (const auto& member : page->members()) ids.push_back(member.user_id());
    auto routes = routes_->Lookup(ids);
    if (!routes.ok()) return routes.status();
    for (int i = 0; i < page->members_size() && i < routes->users_size(); ++i) {
      page->mutable_members(i)->set_online(routes->users(i).routes_size() > 0);
    }
    *response = std::move(*page);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageService::ListGroups(grpc::CallbackServerContext* ctx,
                                                     const internal::UserRef* request,
                                                     internal::GroupRecords* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(groups_->List(request->user_id()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::GetGroupRoutes(
    grpc::CallbackServerContext* ctx, const internal::GetGroupRoutesRequest* request,
    internal::GetRoutesResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    auto recipients = groups_->Recipients(request->group_id(), request->seq());
    if (!recipients.ok()) return recipients.status();
    auto routes = routes_->Lookup(*recipients);
    if (!routes.ok()) return routes.status();
    // Only online members travel back.
    for (auto& user : *routes->mutable_users()) {
      if (user.routes_size() > 0) *response->add_users() = std::move(user);
    }
    return absl::OkStatus();
  });
}

}  // namespace im::storage
