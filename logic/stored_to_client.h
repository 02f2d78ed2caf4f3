#pragma once
// Where storage's records (proto/storage.proto) become what clients see
// (proto/client.proto) and what webhooks are posted (proto/webhook.proto),
// and where what a client sends storage (acks, group changes) becomes storage's. Storage speaks only its
// own types, so the client protocol and the storage interface can each change
// without the other; this file is the one place they meet. The two sides have
// the same fields by the same names and numbers (stored_to_client_test.cc
// holds them to it), and records are taken by rvalue: their strings are moved,
// never copied, so a sync page costs no copy of its messages' content.
// Stateless; any thread.

#include "client.pb.h"
#include "storage.pb.h"
#include "webhook.pb.h"

namespace im::logic {

void ToClient(internal::StoredMessage&& in, client::ChatMessage* out);
void ToClient(internal::ConversationRecord&& in, client::ConversationSummary* out);
void ToClient(internal::GroupRecord&& in, client::GroupInfo* out);
void ToClient(internal::GroupMemberRecord&& in, client::GroupMember* out);
void ToClient(internal::GroupMemberPage&& in, client::GroupMembersResponse* out);
void ToClient(internal::GroupRecords&& in, client::GroupListResponse* out);

// Every record of `in`, appended to `out` in order.
template <typename Record, typename ClientMessage>
void ToClient(google::protobuf::RepeatedPtrField<Record>&& in,
              google::protobuf::RepeatedPtrField<ClientMessage>* out) {
  out->Reserve(out->size() + in.size());
  for (Record& record : in) ToClient(std::move(record), out->Add());
}

// An after_send event from the outbox, as it is posted to the webhook.
void ToWebhook(internal::OutboxEvent&& in, webhook::Event* out);

// A client's group change (already checked by common/group_protocol.h) for storage.
internal::GroupChange ToStorage(const client::GroupChangeRequest& in);

// A device's acks for storage, appended to `out`.
void ToStorage(const google::protobuf::RepeatedPtrField<client::ConversationAck>& in,
               google::protobuf::RepeatedPtrField<internal::ConversationSeq>* out);

}  // namespace im::logic
