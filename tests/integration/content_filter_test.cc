// The operator's content filter on sends (logic's filter_file): logic
// restarted with a word list; a refused send is answered PERMISSION_DENIED
// and nothing is stored or delivered; a masked one (1:1 and to a group) is
// acked `masked` and delivered and stored starred; SIGHUP reloads the list
// without a restart, and a list that does not parse keeps the one in force.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/integration/cluster_env.h"
#include "tests/support/test_env.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;

class ContentFilterTest : public ::testing::Test {
 protected:
  static std::string ListPath() { return SharedCluster().dir() + "/filter.list"; }
  static void WriteList(const std::string& text) { std::ofstream(ListPath()) << text; }

  static void SetUpTestSuite() {
    WriteList("# test list\nrefuse spamlink\nmask darn\nmask /[0-9]{3}-[0-9]{4}/\n");
    SharedCluster().StopLogic();
    SharedCluster().StartLogic({"--filter_file=" + ListPath()});
  }
  static void TearDownTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic();
  }

  // Sends until the answer's code is `code` (a reload takes a moment): the
  // last answer.
  static absl::StatusOr<client::SendMessageResponse> SendUntil(cli::ImClient& from,
                                                               const std::string& to,
                                                               const std::string& text,
                                                               absl::StatusCode code) {
    absl::StatusOr<client::SendMessageResponse> sent;
    for (int i = 0; i < 50; ++i) {
      sent = from.SendText(to, text);
      if (sent.status().code() == code) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return sent;
  }
};

TEST_F(ContentFilterTest, ARefusedSendStoresNothingAndAMaskedOneIsDeliveredStarred) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob, 1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  auto refused = a->SendText(bob, "cheap pills at SpamLink");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_EQ(refused.status().message(),
            "the server's content filter refused this message; nothing was sent");

  auto masked = a->SendText(bob, "darn, call 555-1234");
  ASSERT_TRUE(masked.ok()) << masked.status();
  EXPECT_TRUE(masked->masked());
  EXPECT_EQ(masked->seq(), 1u) << "the refused send took no seq";
  auto pushed = NextEventMatching(*b, [](const auto& f) { return f.has_message(); });
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->message().text(), "****, call ********");

  auto clean = a->SendText(bob, "all fine");
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_FALSE(clean->masked());

  std::vector<std::string> stored;
  for (const auto& m : SyncAll(*b)) stored.push_back(m.text());
  EXPECT_EQ(stored, (std::vector<std::string>{"****, call ********", "all fine"}));

  // Group sends pass the same filter.
  client::ClientFrame create;
  create.mutable_group_create()->set_name("filtered");
  create.mutable_group_create()->add_members(bob);
  auto group = a->Request(std::move(create));
  ASSERT_TRUE(group.ok()) << group.status();
  const std::uint64_t group_id = group->group_create().group_id();
  auto to_group = a->SendGroupText(group_id, "darn");
  ASSERT_TRUE(to_group.ok()) << to_group.status();
  EXPECT_TRUE(to_group->masked());
  EXPECT_EQ(a->SendGroupText(group_id, "spamlink").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ContentFilterTest, SighupReloadsTheListAndABadListKeepsTheOneInForce) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice);
  auto b = RegisterAndLogin(bob);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto before = a->SendText(bob, "free tickets");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->masked());

  WriteList("refuse tickets\n");
  SharedCluster().SignalLogic(SIGHUP);
  auto after = SendUntil(*a, bob, "free tickets", absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(after.status().code(), absl::StatusCode::kPermissionDenied) << after.status();
  auto darn = a->SendText(bob, "darn");
  ASSERT_TRUE(darn.ok()) << darn.status();
  EXPECT_FALSE(darn->masked()) << "the new list replaced the old one";

  WriteList("refuse tickets\nblock this line is not an entry\n");
  SharedCluster().SignalLogic(SIGHUP);
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(a->SendText(bob, "tickets again").status().code(),
            absl::StatusCode::kPermissionDenied)
      << "a list that does not parse leaves the one in force";
  WriteList("# test list\nrefuse spamlink\nmask darn\nmask /[0-9]{3}-[0-9]{4}/\n");
  SharedCluster().SignalLogic(SIGHUP);
}

}  // namespace
}  // namespace im::testing
