#include "logic/group_handlers.h"

#include "common/group_protocol.h"
#include "common/str_cat.h"
#include "logic/stored_to_client.h"

namespace im::logic {

void GroupHandlers::RegisterWith(RequestDispatcher& d) {
  d.Register(client::ClientFrame::kGroupCreate, Access::kLoggedIn,
             BindHandler(this, &GroupHandlers::Create));
  d.Register(client::ClientFrame::kGroupChange, Access::kLoggedIn,
             BindHandler(this, &GroupHandlers::Change));
  d.Register(client::ClientFrame::kGroupInfo, Access::kLoggedIn,
             BindHandler(this, &GroupHandlers::Info));
  d.Register(client::ClientFrame::kGroupMembers, Access::kLoggedIn,
             BindHandler(this, &GroupHandlers::Members));
  d.Register(client::ClientFrame::kGroupList, Access::kLoggedIn,
             BindHandler(this, &GroupHandlers::List));
}

void GroupHandlers::Create(const internal::HandleRequest& request, Reply reply) {
  const auto& req = request.frame().group_create();
  if (absl::Status valid = common::ValidateGroupName(req.name()); !valid.ok()) return reply(valid);
  if (req.members_size() + 1 > config_.max_group_members) {
    return reply(absl::FailedPreconditionError(
        common::StrCat("a group has at most ", config_.max_group_members, " members")));
  }
  internal::CreateGroupRequest create;
  create.set_owner_id(request.session().user_id());
  create.set_name(req.name());
  *create.mutable_members() = req.members();
  create.set_max_members(static_cast<std::uint32_t>(config_.max_group_members));
  create.set_record_webhook_event(config_.RecordsWebhookEvents());
  storage_->CreateGroup(std::move(create), [this, session = request.session(),
                                            reply](absl::StatusOr<internal::GroupChangeResult> r) {
    if (!r.ok()) return reply(r.status());
    internal::HandleResponse response;
    response.mutable_frame()->mutable_group_create()->set_group_id(r->group_id());
    response.mutable_frame()->mutable_group_create()->set_seq(r->system_message().seq());
    reply(std::move(response));
    PushChange(session, *r);
  });
}

void GroupHandlers::Change(const internal::HandleRequest& request, Reply reply) {
  const auto& req = request.frame().group_change();
  if (absl::Status valid = common::ValidateGroupChange(req); !valid.ok()) return reply(valid);
  if (req.invite().usernames_size() > config_.max_group_members) {
    return reply(absl::FailedPreconditionError(
        common::StrCat("a group has at most ", config_.max_group_members, " members")));
  }
  internal::ChangeGroupRequest change;
  change.set_actor_id(request.session().user_id());
  *change.mutable_change() = ToStorage(req);
  change.set_max_members(static_cast<std::uint32_t>(config_.max_group_members));
  change.set_record_webhook_event(config_.RecordsWebhookEvents());
  storage_->ChangeGroup(std::move(change), [this, session = request.session(),
                                            reply](absl::StatusOr<internal::GroupChangeResult> r) {
    if (!r.ok()) return reply(r.status());
    internal::HandleResponse response;
    response.mutable_frame()->mutable_group_change()->set_changed(r->changed());
    response.mutable_frame()->mutable_group_change()->set_seq(r->system_message().seq());
    reply(std::move(response));
    if (r->changed()) PushChange(session, *r);
  });
}

void GroupHandlers::PushChange(const internal::SessionContext& session,
                               internal::GroupChangeResult& result) {
  client::ChatMessage message;
  ToClient(std::move(*result.mutable_system_message()), &message);
  fanout_->PushGroupMessage(message, result.member_count(), session.access_node_id(),
                            session.conn_id());
}

void GroupHandlers::Info(const internal::HandleRequest& request, Reply reply) {
  internal::GroupRef ref;
  ref.set_user_id(request.session().user_id());
  ref.set_group_id(request.frame().group_info().group_id());
  storage_->GetGroupInfo(std::move(ref), [reply](absl::StatusOr<internal::GroupRecord> info) {
    if (!info.ok()) return reply(info.status());
    internal::HandleResponse response;
    ToClient(std::move(*info), response.mutable_frame()->mutable_group_info());
    reply(std::move(response));
  });
}

void GroupHandlers::Members(const internal::HandleRequest& request, Reply reply) {
  const auto& req = request.frame().group_members();
  internal::ListGroupMembersRequest list;
  list.set_user_id(request.session().user_id());
  list.set_group_id(req.group_id());
  list.set_after_user_id(req.after_user_id());
  list.set_limit(req.limit());
  storage_->ListGroupMembers(
      std::move(list), [reply](absl::StatusOr<internal::GroupMemberPage> members) {
        if (!members.ok()) return reply(members.status());
        internal::HandleResponse response;
        ToClient(std::move(*members), response.mutable_frame()->mutable_group_members());
        reply(std::move(response));
      });
}

void GroupHandlers::List(const internal::HandleRequest& request, Reply reply) {
  internal::UserRef ref;
  ref.set_user_id(request.session().user_id());
  storage_->ListGroups(std::move(ref), [reply](absl::StatusOr<internal::GroupRecords> groups) {
    if (!groups.ok()) return reply(groups.status());
    internal::HandleResponse response;
    ToClient(std::move(*groups), response.mutable_frame()->mutable_group_list());
    reply(std::move(response));
  });
}

}  // namespace im::logic
