// Per-user rate limits over TCP: logic restarted with small limits (and back
// to the test cluster's, none, afterwards). A request past its limit is
// refused with a retry-after and stores nothing; other users and other kinds
// of request are not held up; after the wait it goes through.

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "client-cli/requests.h"
#include "common/client_status.h"
#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

using absl::StatusCode;

class RateLimitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic({"--limits.messages_per_minute=60", "--limits.messages_burst=3",
                                "--limits.friend_requests_per_minute=1",
                                "--limits.friend_requests_burst=1"});
  }
  static void TearDownTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic();
  }
};

TEST_F(RateLimitTest, ASendPastTheBurstWaitsAndNobodyElseDoes) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob"),
                    carol = UniqueName("carol");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob, 1);
  auto c = RegisterAndLogin(carol);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(a->SendText(bob, "m" + std::to_string(i)).ok()) << i;
  auto refused = a->SendText(bob, "one too many");
  ASSERT_EQ(refused.status().code(), StatusCode::kResourceExhausted) << refused.status();
  EXPECT_EQ(std::string(refused.status().message()).rfind("too many messages; try again in ", 0),
            0u)
      << refused.status();
  const auto hint = common::RetryAfter(refused.status());
  ASSERT_TRUE(hint.has_value());
  EXPECT_GT(hint->count(), 0);
  EXPECT_LE(hint->count(), 1000);

  EXPECT_TRUE(c->SendText(bob, "carol is not held up").ok());
  std::this_thread::sleep_for(*hint + std::chrono::milliseconds(50));
  auto later = a->SendText(bob, "after the wait");
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->seq(), 4u) << "the refused one was not stored";

  std::vector<std::string> texts;
  for (const auto& m : SyncAll(*b)) {
    if (m.sender() == alice) texts.push_back(m.text());
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"m1", "m2", "m3", "after the wait"}));
}

TEST_F(RateLimitTest, FriendRequestsHaveALimitOfTheirOwn) {
  const std::string dave = UniqueName("dave"), erin = UniqueName("erin"),
                    frank = UniqueName("frank");
  auto d = RegisterAndLogin(dave);
  ASSERT_NE(RegisterAndLogin(erin), nullptr);
  ASSERT_NE(RegisterAndLogin(frank), nullptr);
  auto first = d->Request(cli::FriendRequestFrame(erin));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = d->Request(cli::FriendRequestFrame(frank));
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(second.status().message()).rfind("too many friend requests", 0), 0u)
      << second.status();
  EXPECT_TRUE(d->SendText(erin, "messages are counted apart").ok());
}

// Registrations are limited per client address: logic restarted with 3 at
// once and 1 a minute. A fourth register from 127.0.0.1 is refused and
// creates nothing; logins from that address go on, and a register from
// another address (127.0.0.2) goes through.
class RegistrationLimitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic({"--limits.registrations_per_minute_per_address=1",
                                "--limits.registrations_burst_per_address=3"});
  }
  static void TearDownTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic();
  }
};

TEST_F(RegistrationLimitTest, AFourthRegisterFromOneAddressIsRefusedAndCreatesNothing) {
  auto client = Connect(0);
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    names.push_back(UniqueName("reg"));
    ASSERT_TRUE(client->Register(names.back(), kPassword).ok()) << i;
  }
  const std::string fourth = UniqueName("reg");
  auto refused = client->Register(fourth, kPassword);
  ASSERT_EQ(refused.status().code(), StatusCode::kResourceExhausted) << refused.status();
  EXPECT_EQ(std::string(refused.status().message())
                .rfind("too many registrations from this address; try again in ", 0),
            0u)
      << refused.status();
  const auto hint = common::RetryAfter(refused.status());
  ASSERT_TRUE(hint.has_value());
  EXPECT_GT(hint->count(), 0);
  EXPECT_LE(hint->count(), 60000);
  EXPECT_TRUE(
      SharedCluster().Query("SELECT user_id FROM users WHERE username = ?", {fourth}).empty());

  EXPECT_TRUE(client->Login(names[0], kPassword).ok()) << "logins are not limited by it";

  const int fd = ConnectRaw(SharedCluster().access_address(0), 0, "127.0.0.2");
  ASSERT_GE(fd, 0);
  const std::string request = common::EncodeFrame(Frame([&](client::ClientFrame& f) {
    f.set_req_id(1);
    f.mutable_register_user()->set_username(fourth);
    f.mutable_register_user()->set_password(kPassword);
  }));
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  common::FrameDecoder decoder;
  const auto answer = ReadFrame(fd, decoder, std::chrono::seconds(5));
  ::close(fd);
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(common::FromClientStatus(answer->status()).ok())
      << common::FromClientStatus(answer->status());
  EXPECT_TRUE(answer->has_register_user());
  EXPECT_EQ(SharedCluster().Query("SELECT user_id FROM users WHERE username = ?", {fourth}).size(),
            1u);
}

}  // namespace
}  // namespace im::testing
