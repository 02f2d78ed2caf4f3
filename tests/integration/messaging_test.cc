// 1:1 messages end to end: online delivery, offline storage, restarts.

#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Events received within `window`, messages only.
std::vector<client::ChatMessage> DrainMessages(cli::ImClient& client, milliseconds window) {
  std::vector<client::ChatMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + window;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto event = client.NextEvent(left);
    if (!event.ok()) break;
    if (event->has_message()) out.push_back(event->message());
  }
  return out;
}

TEST(MessagingTest, OnlineRecipientGetsTheMessageExactlyOnceWithTheSendersIds) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob, 1);  // on the other access node
  auto sent = a->SendText(bob, "hello bob");
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->seq(), 1u);

  auto event = b->NextEvent(seconds(5));
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_TRUE(event->has_message());
  const auto& m = event->message();
  EXPECT_EQ(m.msg_id(), sent->msg_id());
  EXPECT_EQ(m.seq(), sent->seq());
  EXPECT_EQ(m.conv_id(), sent->conv_id());
  EXPECT_EQ(m.sender(), alice);
  EXPECT_EQ(m.text(), "hello bob");
  EXPECT_GT(m.sent_at_ms(), 0);
  EXPECT_TRUE(DrainMessages(*b, milliseconds(500)).empty()) << "delivered twice";
  // The sender's own connection does not get its message pushed back.
  EXPECT_TRUE(DrainMessages(*a, milliseconds(200)).empty());
}

TEST(MessagingTest, ConversationSeqCountsUpInBothDirections) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    auto sent = (i % 2 ? a : b)->SendText(i % 2 ? bob : alice, "m" + std::to_string(i));
    ASSERT_TRUE(sent.ok());
    EXPECT_EQ(sent->seq(), i);
  }
  auto to_b = DrainMessages(*b, milliseconds(1000));
  ASSERT_EQ(to_b.size(), 3u);
  EXPECT_EQ(to_b[0].seq(), 1u);
  EXPECT_EQ(to_b[2].seq(), 5u);
}

TEST(MessagingTest, MessageToAnOfflineUserIsStoredInMariaDb) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  { auto b = RegisterAndLogin(bob); }  // bob goes offline
  auto a = RegisterAndLogin(alice);
  auto sent = a->SendText(bob, "are you there?", "offline-1");
  ASSERT_TRUE(sent.ok()) << sent.status();
  auto rows = SharedCluster().Query(
      "SELECT m.seq, m.body, u.username FROM messages m JOIN users u ON u.user_id = m.sender_id"
      " WHERE m.msg_id = ?",
      {sent->msg_id()});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].U64(0), sent->seq());
  EXPECT_EQ(rows[0].Str(1), "are you there?");
  EXPECT_EQ(rows[0].Str(2), alice);
}

TEST(MessagingTest, ResendWithTheSameClientIdReturnsTheOriginal) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto b = RegisterAndLogin(bob);
  auto a = RegisterAndLogin(alice);
  auto first = a->SendText(bob, "once", "resend-1");
  auto again = a->SendText(bob, "once", "resend-1");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->msg_id(), first->msg_id());
  EXPECT_EQ(again->seq(), first->seq());
  EXPECT_EQ(DrainMessages(*b, milliseconds(700)).size(), 1u);
}

TEST(MessagingTest, BadSendsGetClearStatuses) {
  const std::string alice = UniqueName("alice");
  auto a = RegisterAndLogin(alice);
  auto unknown = a->SendText(UniqueName("ghost"), "hi");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(unknown.status().message()).find("no such user"), std::string::npos);
  EXPECT_EQ(a->SendText(alice, "me").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->SendText(UniqueName("x"), "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(a->connected());
}

// Runs last in this binary's order is not guaranteed; the test restores the
// cluster itself.
TEST(MessagingTest, RestartOfAllDaemonsKeepsAccountsAndMessages) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  std::uint64_t msg_id = 0, seq = 0;
  {
    auto a = RegisterAndLogin(alice);
    RegisterAndLogin(bob);
    auto sent = a->SendText(bob, "before restart");
    ASSERT_TRUE(sent.ok());
    msg_id = sent->msg_id();
    seq = sent->seq();
  }
  SharedCluster().RestartDaemons();
  auto b = Connect();
  ASSERT_TRUE(b->Login(bob, kPassword).ok());
  auto a = Connect(1);
  ASSERT_TRUE(a->Login(alice, kPassword).ok());
  auto rows = SharedCluster().Query("SELECT body FROM messages WHERE msg_id = ?", {msg_id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Str(0), "before restart");
  auto next = a->SendText(bob, "after restart");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->seq(), seq + 1);
  auto event = b->NextEvent(seconds(5));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->message().text(), "after restart");
}

TEST(MessagingTest, SendsPipelinedOnOneConnectionAreStoredInTheOrderSent) {
  // A fresh pair, so the first sends miss logic's caches and wait on lookups.
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto b = RegisterAndLogin(bob);
  auto a = RegisterAndLogin(alice);
  constexpr int kSends = 40;
  std::vector<client::ClientFrame> sends;
  for (int i = 0; i < kSends; ++i) {
    sends.push_back(Frame([&](client::ClientFrame& f) {
      f.mutable_send_message()->set_to_user(bob);
      f.mutable_send_message()->set_text("p" + std::to_string(i));
      f.mutable_send_message()->set_client_msg_id("pipe-" + alice + "-" + std::to_string(i));
    }));
  }
  auto answers = a->CallAll(std::move(sends));
  ASSERT_TRUE(answers.ok()) << answers.status();
  for (int i = 0; i < kSends; ++i) {
    const auto& answer = (*answers)[i];
    ASSERT_EQ(answer.status().code(), 0) << i << ": " << answer.status().message();
    EXPECT_EQ(answer.send_message().seq(), static_cast<std::uint64_t>(i + 1)) << "send " << i;
  }
  auto got = SyncAll(*b);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kSends));
  for (int i = 0; i < kSends; ++i) EXPECT_EQ(got[i].text(), "p" + std::to_string(i));
}

TEST(MessagingTest, ARequestRightBehindALoginWaitsForIt) {
  const std::string alice = UniqueName("alice");
  { auto registered = RegisterAndLogin(alice); }
  auto c = Connect();
  std::vector<client::ClientFrame> frames;
  frames.push_back(Frame([&](client::ClientFrame& f) {
    f.mutable_login()->set_protocol_version(1);
    f.mutable_login()->set_username(alice);
    f.mutable_login()->set_password(kPassword);
    f.mutable_login()->set_device_id("pipelined");
  }));
  frames.push_back(Frame([](client::ClientFrame& f) { f.mutable_sync()->set_limit(10); }));
  auto answers = c->CallAll(std::move(frames));
  ASSERT_TRUE(answers.ok()) << answers.status();
  EXPECT_EQ((*answers)[0].status().code(), 0) << (*answers)[0].status().message();
  EXPECT_TRUE((*answers)[0].has_login());
  EXPECT_EQ((*answers)[1].status().code(), 0) << (*answers)[1].status().message();
  EXPECT_TRUE((*answers)[1].has_sync());
}

TEST(MessagingTest, PipelinedAcksAreEachAnsweredAndMoveTheCursorToTheHighest) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  std::uint64_t conv = 0;
  for (int i = 0; i < 6; ++i) {
    auto sent = a->SendText(bob, "m" + std::to_string(i));
    ASSERT_TRUE(sent.ok()) << sent.status();
    conv = sent->conv_id();
  }
  // Acks for seqs 1..5 in one write: access merges those behind the first.
  std::vector<client::ClientFrame> acks;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    acks.push_back(Frame([&](client::ClientFrame& f) {
      auto* ack = f.mutable_ack()->add_acks();
      ack->set_conv_id(conv);
      ack->set_seq(seq);
    }));
  }
  auto answers = b->CallAll(std::move(acks));
  ASSERT_TRUE(answers.ok()) << answers.status();
  for (const auto& answer : *answers) {
    EXPECT_EQ(answer.status().code(), 0) << answer.status().message();
    EXPECT_TRUE(answer.has_ack());
  }
  auto rest = SyncAll(*b);
  ASSERT_EQ(rest.size(), 1u);  // only seq 6 is left for this device
  EXPECT_EQ(rest[0].seq(), 6u);
}

}  // namespace
}  // namespace im::testing
