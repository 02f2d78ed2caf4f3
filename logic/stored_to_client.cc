#include "logic/stored_to_client.h"

#include <utility>

namespace im::logic {
namespace {

// Both enums number their values alike (stored_to_client_test.cc checks
// every value by name), and proto3 enums are open: a value one side does not
// know yet passes through as its number.
client::GroupRole ToClient(internal::GroupRole role) { return static_cast<client::GroupRole>(role); }
internal::GroupRole ToStorage(client::GroupRole role) {
  return static_cast<internal::GroupRole>(role);
}

void ToClient(internal::StoredGroupEvent&& in, client::GroupEvent* out) {
  out->set_type(static_cast<client::GroupEvent::Type>(in.type()));
  out->set_actor(std::move(*in.mutable_actor()));
  out->mutable_users()->Swap(in.mutable_users());
  out->set_more_users(in.more_users());
  out->set_text(std::move(*in.mutable_text()));
  out->set_role(ToClient(in.role()));
  out->set_minutes(in.minutes());
  out->set_on(in.on());
}

void ToWebhook(internal::RelationRecord&& in, webhook::RelationEvent* out) {
  out->set_change(std::move(*in.mutable_change()));
  out->set_user_id(in.user_id());
  out->set_user(std::move(*in.mutable_user()));
  out->set_peer_id(in.peer_id());
  out->set_peer(std::move(*in.mutable_peer()));
  out->set_note(std::move(*in.mutable_note()));
}

}  // namespace

void ToClient(internal::StoredMessage&& in, client::ChatMessage* out) {
  out->set_msg_id(in.msg_id());
  out->set_conv_id(in.conv_id());
  out->set_seq(in.seq());
  out->set_sender_id(in.sender_id());
  out->set_sender(std::move(*in.mutable_sender()));
  out->set_recipient(std::move(*in.mutable_recipient()));
  out->set_text(std::move(*in.mutable_text()));
  out->set_sent_at_ms(in.sent_at_ms());
  out->set_kind(std::move(*in.mutable_kind()));
  out->set_payload(std::move(*in.mutable_payload()));
  out->set_recalled(in.recalled());
  out->set_group_id(in.group_id());
  if (in.has_group_event()) ToClient(std::move(*in.mutable_group_event()), out->mutable_group_event());
  out->set_agent(std::move(*in.mutable_agent()));
}

void ToClient(internal::ConversationRecord&& in, client::ConversationSummary* out) {
  out->set_conv_id(in.conv_id());
  out->set_peer(std::move(*in.mutable_peer()));
  if (in.has_last_message()) {
    ToClient(std::move(*in.mutable_last_message()), out->mutable_last_message());
  }
  out->set_max_seq(in.max_seq());
  out->set_read_seq(in.read_seq());
  out->set_unread(in.unread());
  out->set_group_id(in.group_id());
  out->set_group_name(std::move(*in.mutable_group_name()));
}

void ToClient(internal::GroupRecord&& in, client::GroupInfo* out) {
  out->set_group_id(in.group_id());
  out->set_name(std::move(*in.mutable_name()));
  out->set_announcement(std::move(*in.mutable_announcement()));
  out->set_owner(std::move(*in.mutable_owner()));
  out->set_member_count(in.member_count());
  out->set_mute_all(in.mute_all());
  out->set_my_role(ToClient(in.my_role()));
  out->set_max_seq(in.max_seq());
  out->set_created_at_ms(in.created_at_ms());
}

void ToClient(internal::GroupMemberRecord&& in, client::GroupMember* out) {
  out->set_user_id(in.user_id());
  out->set_username(std::move(*in.mutable_username()));
  out->set_role(ToClient(in.role()));
  out->set_muted_until_ms(in.muted_until_ms());
  out->set_joined_seq(in.joined_seq());
  out->set_online(in.online());
}

void ToClient(internal::GroupMemberPage&& in, client::GroupMembersResponse* out) {
  ToClient(std::move(*in.mutable_members()), out->mutable_members());
  out->set_next_after_user_id(in.next_after_user_id());
}

void ToClient(internal::GroupRecords&& in, client::GroupListResponse* out) {
  ToClient(std::move(*in.mutable_groups()), out->mutable_groups());
}

void ToWebhook(internal::OutboxEvent&& in, webhook::Event* out) {
  out->set_event_id(in.event_id());
  out->set_type(std::move(*in.mutable_type()));
  out->set_created_at_ms(in.created_at_ms());
  out->set_attempts(in.attempts());
  if (in.has_message()) ToClient(std::move(*in.mutable_message()), out->mutable_message());
  if (in.has_relation()) ToWebhook(std::move(*in.mutable_relation()), out->mutable_relation());
}

void ToStorage(const google::protobuf::RepeatedPtrField<client::ConversationAck>& in,
               google::protobuf::RepeatedPtrField<internal::ConversationSeq>* out) {
  out->Reserve(out->size() + in.size());
  for (const client::ConversationAck& ack : in) {
    internal::ConversationSeq* seq = out->Add();
    seq->set_conv_id(ack.conv_id());
    seq->set_seq(ack.seq());
  }
}

internal::GroupChange ToStorage(const client::GroupChangeRequest& in) {
  using Change = client::GroupChangeRequest;
  internal::GroupChange out;
  out.set_group_id(in.group_id());
  switch (in.change_case()) {
    case Change::kInvite:
      *out.mutable_invite()->mutable_usernames() = in.invite().usernames();
      break;
    case Change::kKick:
      out.set_kick(in.kick());
      break;
    case Change::kLeave:
      out.set_leave(in.leave());
      break;
    case Change::kDissolve:
      out.set_dissolve(in.dissolve());
      break;
    case Change::kRename:
      out.set_rename(in.rename());
      break;
    case Change::kAnnounce:
      out.set_announce(in.announce());
      break;
    case Change::kSetRole:
      out.mutable_set_role()->set_user(in.set_role().user());
      out.mutable_set_role()->set_role(ToStorage(in.set_role().role()));
      break;
    case Change::kTransfer:
      out.set_transfer(in.transfer());
      break;
    case Change::kMute:
      out.mutable_mute()->set_user(in.mute().user());
      out.mutable_mute()->set_muted(in.mute().muted());
      out.mutable_mute()->set_minutes(in.mute().minutes());
      break;
    case Change::kMuteAll:
      out.set_mute_all(in.mute_all());
      break;
    case Change::CHANGE_NOT_SET:
      break;
  }
  return out;
}

}  // namespace im::logic
