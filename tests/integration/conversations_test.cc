// Conversations with delivery guarantees, over TCP against the real cluster:
// durable before acked, idempotent send, ordered and gapless seqs,
// at-least-once to every device with sync and acks, and authorisation.

#include <set>
#include <thread>

#include "client-cli/inbox.h"
#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

using absl::StatusCode;
using cli::ImClient;
using std::chrono::milliseconds;
using std::chrono::seconds;

absl::StatusOr<client::ServerFrame> ConvList(ImClient& c) {
  return c.Request(Frame([](auto& f) { f.mutable_conv_list(); }));
}

absl::StatusOr<client::ServerFrame> History(ImClient& c, const std::string& peer,
                                            std::uint64_t before, std::uint32_t limit) {
  return c.Request(Frame([&](auto& f) {
    f.mutable_history()->set_peer(peer);
    f.mutable_history()->set_before_seq(before);
    f.mutable_history()->set_limit(limit);
  }));
}

absl::StatusOr<client::ServerFrame> NextEvent(
    ImClient& c, const std::function<bool(const client::ServerFrame&)>& want,
    milliseconds within = seconds(5)) {
  return NextEventMatching(c, want, within);
}

TEST(ConversationsTest, OfflineUserGetsEverythingInOrderOnLoginAndNothingAgainAfterAck) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  { RegisterAndLogin(bob, 0, "phone"); }
  auto a = RegisterAndLogin(alice);
  for (int i = 1; i <= 25; ++i) ASSERT_TRUE(a->SendText(bob, "m" + std::to_string(i)).ok());

  auto phone = Connect(1);
  ASSERT_TRUE(phone->Login(bob, kPassword, "phone").ok());
  auto got = SyncAll(*phone);
  ASSERT_EQ(got.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(got[i].seq(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(got[i].text(), "m" + std::to_string(i + 1));
  }
  EXPECT_TRUE(SyncAll(*phone).empty()) << "redelivered after ack";
  // Another device has its own cursor and gets everything too.
  auto laptop = Connect();
  ASSERT_TRUE(laptop->Login(bob, kPassword, "laptop").ok());
  EXPECT_EQ(SyncAll(*laptop).size(), 25u);
  // Reconnecting the same device resumes after its cursor.
  phone.reset();
  ASSERT_TRUE(a->SendText(bob, "m26").ok());
  auto phone_again = Connect();
  ASSERT_TRUE(phone_again->Login(bob, kPassword, "phone").ok());
  auto rest = SyncAll(*phone_again);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].seq(), 26u);
}

TEST(ConversationsTest, EveryDeviceGetsEverythingIncludingWhatTheUserSentElsewhere) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a_phone = RegisterAndLogin(alice, 0, "phone");
  auto a_laptop = Connect(1);
  ASSERT_TRUE(a_laptop->Login(alice, kPassword, "laptop").ok());
  auto b1 = RegisterAndLogin(bob, 0, "one");
  auto b2 = Connect(1);
  ASSERT_TRUE(b2->Login(bob, kPassword, "two").ok());
  auto sent = a_phone->SendText(bob, "to all of you");
  ASSERT_TRUE(sent.ok());
  auto is_msg = [&](const client::ServerFrame& f) {
    return f.has_message() && f.message().msg_id() == sent->msg_id();
  };
  for (auto* device : {b1.get(), b2.get(), a_laptop.get()}) {
    EXPECT_TRUE(NextEvent(*device, is_msg).ok());
  }
  EXPECT_FALSE(NextEvent(*a_phone, is_msg, milliseconds(300)).ok()) << "echoed to the sender";
}

TEST(ConversationsTest, ResendsReturnTheOriginalEvenRacingOrAcrossRestarts) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  RegisterAndLogin(bob);
  auto a1 = RegisterAndLogin(alice, 0, "d1");
  auto a2 = Connect(1);
  ASSERT_TRUE(a2->Login(alice, kPassword, "d2").ok());
  absl::StatusOr<client::SendMessageResponse> r1, r2;
  std::thread t1([&] { r1 = a1->SendText(bob, "exactly once", "race-id"); });
  std::thread t2([&] { r2 = a2->SendText(bob, "exactly once", "race-id"); });
  t1.join();
  t2.join();
  ASSERT_TRUE(r1.ok() && r2.ok()) << r1.status() << " " << r2.status();
  EXPECT_EQ(r1->msg_id(), r2->msg_id());
  EXPECT_EQ(r1->seq(), r2->seq());

  SharedCluster().RestartDaemons();
  auto again = Connect();
  ASSERT_TRUE(again->Login(alice, kPassword).ok());
  auto after = again->SendText(bob, "exactly once", "race-id");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->msg_id(), r1->msg_id());
  auto different = again->SendText(bob, "something else", "race-id");
  EXPECT_EQ(different.status().code(), StatusCode::kAlreadyExists);
  auto rows = SharedCluster().Query("SELECT COUNT(*) FROM messages WHERE client_msg_id = ?",
                                    {std::string_view("race-id")});
  EXPECT_EQ(rows.at(0).U64(0), 1u);
}

TEST(ConversationsTest, ManyConcurrentSendersGetGaplessSeqsAcrossRedisFlushAndFailures) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  std::vector<std::unique_ptr<ImClient>> senders;
  std::vector<std::string> peer_of;  // whom each sender writes to
  senders.push_back(RegisterAndLogin(alice, 0, "a0"));
  peer_of.push_back(bob);
  senders.push_back(RegisterAndLogin(bob, 1, "b0"));
  peer_of.push_back(alice);
  for (int i = 1; i < 4; ++i) {
    const bool is_bob = i % 2 == 1;
    senders.push_back(Connect(i % 2));
    ASSERT_TRUE(
        senders.back()->Login(is_bob ? bob : alice, kPassword, "x" + std::to_string(i)).ok());
    peer_of.push_back(is_bob ? alice : bob);
  }
  std::mutex mutex;
  std::set<std::uint64_t> seqs;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < senders.size(); ++t) {
    threads.emplace_back([&, t] {
      const std::string to = peer_of[t];
      for (int i = 0; i < 30; ++i) {
        if (t == 0 && i == 10) SharedCluster().FlushRedis();
        if (i % 10 == 5) {  // a refused send in the middle: reuses an id for other content
          auto refused =
              senders[t]->SendText(to, "other " + std::to_string(i), "fixed-" + std::to_string(t));
          if (i > 5) {
            EXPECT_FALSE(refused.ok());
          }
          continue;
        }
        auto sent = senders[t]->SendText(to, "c" + std::to_string(t) + "-" + std::to_string(i));
        ASSERT_TRUE(sent.ok()) << sent.status();
        std::lock_guard lock(mutex);
        EXPECT_TRUE(seqs.insert(sent->seq()).second) << "seq reused: " << sent->seq();
      }
    });
  }
  for (auto& t : threads) t.join();
  // The refused "fixed-" sends were stored once each (their first use).
  auto rows = SharedCluster().Query(
      "SELECT m.seq FROM messages m JOIN users u ON u.user_id = m.sender_id"
      " WHERE u.username IN (?, ?) ORDER BY m.seq",
      {alice, bob});
  ASSERT_FALSE(rows.empty());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].U64(0), i + 1) << "gap";
  EXPECT_EQ(rows.size(), seqs.size() + senders.size());
}

TEST(ConversationsTest, AckedMessagesSurviveKillNineOfEveryDaemon) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  RegisterAndLogin(bob);
  std::set<std::uint64_t> acked;
  {
    auto a = RegisterAndLogin(alice);
    for (int i = 0; i < 20; ++i) {
      auto sent = a->SendText(bob, "durable " + std::to_string(i));
      ASSERT_TRUE(sent.ok());
      acked.insert(sent->msg_id());
    }
    // Right after the last ack, with no graceful shutdown anywhere.
    SharedCluster().KillStorage();
    SharedCluster().KillLogic();
    SharedCluster().KillAccess(0);
    SharedCluster().KillAccess(1);
  }
  SharedCluster().StartStorage();
  SharedCluster().StartLogic();
  SharedCluster().StartAccess(0);
  SharedCluster().StartAccess(1);
  auto b = Connect();
  ASSERT_TRUE(b->Login(bob, kPassword, "after-crash").ok());
  std::set<std::uint64_t> synced;
  for (const auto& m : SyncAll(*b)) synced.insert(m.msg_id());
  EXPECT_EQ(synced, acked);
}

TEST(ConversationsTest, UnreadCountsReadReceiptsAndReadingOnOneDeviceClearsAll) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b_phone = RegisterAndLogin(bob, 0, "phone");
  auto b_laptop = Connect(1);
  ASSERT_TRUE(b_laptop->Login(bob, kPassword, "laptop").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->SendText(bob, "u" + std::to_string(i)).ok());
  auto list = ConvList(*b_laptop);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->conv_list().conversations_size(), 1);
  EXPECT_EQ(list->conv_list().conversations(0).peer(), alice);
  EXPECT_EQ(list->conv_list().conversations(0).unread(), 3u);
  EXPECT_EQ(list->conv_list().conversations(0).last_message().text(), "u2");

  auto read = b_phone->Request(Frame([&](auto& f) { f.mutable_mark_read()->set_peer(alice); }));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->mark_read().read_seq(), 3u);
  auto is_receipt = [](const client::ServerFrame& f) { return f.has_read_receipt(); };
  auto to_alice = NextEvent(*a, is_receipt);
  ASSERT_TRUE(to_alice.ok());
  EXPECT_EQ(to_alice->read_receipt().reader(), bob);
  EXPECT_EQ(to_alice->read_receipt().read_seq(), 3u);
  EXPECT_TRUE(NextEvent(*b_laptop, is_receipt).ok()) << "the reader's other device was not told";
  EXPECT_EQ(ConvList(*b_laptop)->conv_list().conversations(0).unread(), 0u);
  EXPECT_EQ(ConvList(*a)->conv_list().conversations(0).unread(), 0u);  // her own messages
}

TEST(ConversationsTest, HistoryPagesBackwardsAndClampsAbsurdLimits) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  RegisterAndLogin(bob);
  for (int i = 1; i <= 12; ++i) ASSERT_TRUE(a->SendText(bob, "h" + std::to_string(i)).ok());
  auto page = History(*a, bob, 0, 5);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->history().messages_size(), 5);
  EXPECT_EQ(page->history().messages(0).seq(), 8u);
  EXPECT_EQ(page->history().messages(4).text(), "h12");
  auto older = History(*a, bob, 8, 4000000000u);
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older->history().messages_size(), 7);
  EXPECT_EQ(History(*a, UniqueName("ghost"), 0, 5).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(History(*a, alice, 0, 5).status().code(), StatusCode::kInvalidArgument);  // yourself
}

TEST(ConversationsTest, RecallBySenderWithinWindowLeavesATombstone) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  auto sent = a->SendText(bob, "oops");
  ASSERT_TRUE(sent.ok());
  auto recall = [&](ImClient& c, std::uint64_t id) {
    return c.Request(Frame([&](auto& f) { f.mutable_recall()->set_msg_id(id); })).status();
  };
  EXPECT_EQ(recall(*b, sent->msg_id()).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(recall(*a, 999999999).code(), StatusCode::kNotFound);
  ASSERT_TRUE(recall(*a, sent->msg_id()).ok());
  auto event = NextEvent(*b, [](const client::ServerFrame& f) { return f.has_recalled(); });
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->recalled().msg_id(), sent->msg_id());
  auto page = History(*b, alice, 0, 10);
  ASSERT_EQ(page->history().messages_size(), 1);
  EXPECT_TRUE(page->history().messages(0).recalled());
  EXPECT_TRUE(page->history().messages(0).text().empty());

  LogicFlagsForThisScope logic({"--recall_window_seconds=0"});
  auto late = a->SendText(bob, "too late to take back");
  ASSERT_TRUE(late.ok());
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(recall(*a, late->msg_id()).code(), StatusCode::kFailedPrecondition);
}

TEST(ConversationsTest, TypingIsPushedButNeverStoredAndTypedMessagesCarryTheirPayload) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  ASSERT_TRUE(a->Request(Frame([&](auto& f) { f.mutable_typing()->set_peer(bob); })).ok());
  auto typing = NextEvent(*b, [](const client::ServerFrame& f) { return f.has_typing_event(); });
  ASSERT_TRUE(typing.ok());
  EXPECT_EQ(typing->typing_event().from_user(), alice);

  auto image = a->Request(Frame([&](auto& f) {
    auto* s = f.mutable_send_message();
    s->set_to_user(bob);
    s->set_kind("image");
    s->set_payload(R"({"url":"https://files.example/cat.png","w":640,"h":480})");
  }));
  ASSERT_TRUE(image.ok()) << image.status();
  auto got = NextEvent(*b, [](const client::ServerFrame& f) { return f.has_message(); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->message().kind(), "image");
  EXPECT_NE(got->message().payload().find("cat.png"), std::string::npos);
  auto stored = SharedCluster().Query(
      "SELECT COUNT(*) FROM messages m JOIN users u ON u.user_id = m.sender_id WHERE u.username = "
      "?",
      {alice});
  EXPECT_EQ(stored.at(0).U64(0), 1u);  // the image, not the typing

  auto bad_kind = a->Request(Frame([&](auto& f) {
    f.mutable_send_message()->set_to_user(bob);
    f.mutable_send_message()->set_kind("video");
    f.mutable_send_message()->set_payload("{}");
  }));
  EXPECT_EQ(bad_kind.status().code(), StatusCode::kInvalidArgument);
  auto not_json = a->Request(Frame([&](auto& f) {
    f.mutable_send_message()->set_to_user(bob);
    f.mutable_send_message()->set_kind("file");
    f.mutable_send_message()->set_payload("cat.png");
  }));
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalidArgument);
}

TEST(ConversationsTest, OversizedMessageIsRefusedAndTheConnectionKept) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  RegisterAndLogin(bob);
  // The test cluster's frame limit (64 KiB) equals the default text limit, so
  // run logic with a small text limit to exercise it inside one frame.
  LogicFlagsForThisScope logic({"--max_text_bytes=100"});
  auto big = a->SendText(bob, std::string(101, 'x'));
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(a->SendText(bob, std::string(100, 'x')).ok());
  EXPECT_TRUE(a->connected());
}

}  // namespace
}  // namespace im::testing
