#include "logic/stored_to_client.h"

#include <gtest/gtest.h>

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace im::logic {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Storage's record and the client's (or webhook's) message it becomes must
// have the same fields: names, numbers, types, and the same for the messages
// and enums they hold. A field added to one side only fails here.
void ExpectSameEnum(const EnumDescriptor* a, const EnumDescriptor* b) {
  ASSERT_EQ(a->value_count(), b->value_count()) << a->full_name() << " vs " << b->full_name();
  for (int i = 0; i < a->value_count(); ++i) {
    const auto* other = b->FindValueByNumber(a->value(i)->number());
    ASSERT_NE(other, nullptr) << a->value(i)->full_name();
    EXPECT_EQ(a->value(i)->name(), other->name());
  }
}

void ExpectSameFields(const Descriptor* a, const Descriptor* b) {
  ASSERT_EQ(a->field_count(), b->field_count()) << a->full_name() << " vs " << b->full_name();
  for (int i = 0; i < a->field_count(); ++i) {
    const FieldDescriptor* fa = a->field(i);
    const FieldDescriptor* fb = b->FindFieldByNumber(fa->number());
    ASSERT_NE(fb, nullptr) << fa->full_name() << " has no counterpart in " << b->full_name();
    EXPECT_EQ(fa->name(), fb->name()) << fa->full_name();
    EXPECT_EQ(fa->type(), fb->type()) << fa->full_name();
    EXPECT_EQ(fa->is_repeated(), fb->is_repeated()) << fa->full_name();
    EXPECT_EQ(fa->containing_oneof() != nullptr, fb->containing_oneof() != nullptr)
        << fa->full_name();
    if (fa->type() == FieldDescriptor::TYPE_MESSAGE) {
      ExpectSameFields(fa->message_type(), fb->message_type());
    }
    if (fa->type() == FieldDescriptor::TYPE_ENUM) ExpectSameEnum(fa->enum_type(), fb->enum_type());
  }
}

// Sets every field of `m` (recursively, two elements per repeated field) to
// a value that is not its default. Of each oneof, only its `choice`-th field.
void FillEveryField(Message* m, int choice = 0) {
  const Descriptor* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr && f->index_in_oneof() != choice) continue;
    const int n = f->number();
    for (int k = 0; k < (f->is_repeated() ? 2 : 1); ++k) {
      const std::string text = "f" + std::to_string(n) + "-" + std::to_string(k);
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          f->is_repeated() ? r->AddString(m, f, text) : r->SetString(m, f, text);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(m, f, 1000 + n) : r->SetUInt64(m, f, 1000 + n);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(m, f, -1000 - n) : r->SetInt64(m, f, -1000 - n);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r->AddUInt32(m, f, 100 + n) : r->SetUInt32(m, f, 100 + n);
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          f->is_repeated() ? r->AddInt32(m, f, 100 + n) : r->SetInt32(m, f, 100 + n);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* last = f->enum_type()->value(f->enum_type()->value_count() - 1);
          f->is_repeated() ? r->AddEnum(m, f, last) : r->SetEnum(m, f, last);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          FillEveryField(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f), choice);
          break;
        default:
          FAIL() << "no filler for " << f->full_name();
      }
    }
  }
}

// Converted, every field arrived: the two encode to the same bytes.
template <typename Record, typename Seen>
void ExpectEveryFieldCarried(int choice = 0) {
  ExpectSameFields(Record::descriptor(), Seen::descriptor());
  Record record;
  FillEveryField(&record, choice);
  const std::string expected = record.SerializeAsString();
  Seen seen;
  ToClient(std::move(record), &seen);
  EXPECT_EQ(seen.SerializeAsString(), expected) << seen.DebugString();
}

TEST(StoredToClientTest, EveryFieldOfAStoredRecordReachesTheClient) {
  ExpectSameEnum(internal::GroupRole_descriptor(), client::GroupRole_descriptor());
  ExpectEveryFieldCarried<internal::StoredMessage, client::ChatMessage>();
  ExpectEveryFieldCarried<internal::ConversationRecord, client::ConversationSummary>();
  ExpectEveryFieldCarried<internal::GroupRecord, client::GroupInfo>();
  ExpectEveryFieldCarried<internal::GroupMemberPage, client::GroupMembersResponse>();
  ExpectEveryFieldCarried<internal::GroupRecords, client::GroupListResponse>();
}

TEST(StoredToClientTest, EveryFieldOfAnOutboxEventReachesTheWebhook) {
  ExpectSameFields(internal::OutboxEvent::descriptor(), webhook::Event::descriptor());
  internal::OutboxEvent event;
  FillEveryField(&event);
  const std::string expected = event.SerializeAsString();
  webhook::Event posted;
  ToWebhook(std::move(event), &posted);
  EXPECT_EQ(posted.SerializeAsString(), expected) << posted.DebugString();
}

TEST(StoredToClientTest, EveryKindOfGroupChangeReachesStorage) {
  ExpectSameFields(client::GroupChangeRequest::descriptor(), internal::GroupChange::descriptor());
  const int kinds = client::GroupChangeRequest::descriptor()->oneof_decl(0)->field_count();
  for (int choice = 0; choice < kinds; ++choice) {
    client::GroupChangeRequest change;
    FillEveryField(&change, choice);
    ASSERT_NE(change.change_case(), client::GroupChangeRequest::CHANGE_NOT_SET);
    EXPECT_EQ(ToStorage(change).SerializeAsString(), change.SerializeAsString())
        << change.DebugString();
  }
}

TEST(StoredToClientTest, AcksReachStorageWhole) {
  ExpectSameFields(client::ConversationAck::descriptor(), internal::ConversationSeq::descriptor());
  client::AckRequest acks;
  FillEveryField(&acks);
  google::protobuf::RepeatedPtrField<internal::ConversationSeq> seqs;
  ToStorage(acks.acks(), &seqs);
  ASSERT_EQ(seqs.size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(seqs[i].SerializeAsString(), acks.acks(i).SerializeAsString());
  }
}

// A sync page's content changes hands; it is not copied.
TEST(StoredToClientTest, AMessagesContentIsMovedNotCopied) {
  internal::StoredMessage stored;
  stored.set_text(std::string(4096, 'x'));
  const char* before = stored.text().data();
  client::ChatMessage seen;
  ToClient(std::move(stored), &seen);
  EXPECT_EQ(seen.text().data(), before);
}

}  // namespace
}  // namespace im::logic
