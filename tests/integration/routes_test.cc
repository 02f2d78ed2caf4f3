// Live routes over TCP against the real daemons: an access node's routes count
// only while it renews its lease (the test cluster's lease is kTestLeaseMs),
// and routes lost with Redis come back without clients reconnecting.

#include <sys/wait.h>

#include <thread>

#include "tests/integration/cluster_env.h"
#include "tests/support/http_request.h"

namespace im::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Whether `member` shows online in `group`, as `viewer` sees it.
absl::StatusOr<bool> ShownOnline(cli::ImClient& viewer, std::uint64_t group,
                                 const std::string& member) {
  auto page =
      viewer.Request(Frame([&](auto& f) { f.mutable_group_members()->set_group_id(group); }));
  if (!page.ok()) return page.status();
  for (const auto& m : page->group_members().members()) {
    if (m.username() == member) return m.online();
  }
  return absl::NotFoundError("not a member");
}

// A group of `owner` and `member` (0 and a test failure if it cannot be
// made): its member list shows who is online.
std::uint64_t GroupOfTwo(cli::ImClient& owner, const std::string& member) {
  auto created = owner.Request(Frame([&](auto& f) {
    f.mutable_group_create()->set_name("presence");
    f.mutable_group_create()->add_members(member);
  }));
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? created->group_create().group_id() : 0;
}

TEST(RoutesTest, KillNineOfAnAccessNodeShowsItsUsersOfflineWithinOneLease) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice, 0);
  auto b = RegisterAndLogin(bob, 1);
  const std::uint64_t group = GroupOfTwo(*a, bob);
  ASSERT_NE(group, 0u);
  ASSERT_EQ(ShownOnline(*a, group, bob).value_or(false), true);

  SharedCluster().KillAccess(1);
  const auto killed = Clock::now();
  bool offline = false;
  while (!offline && Clock::now() - killed < milliseconds(3 * kTestLeaseMs)) {
    std::this_thread::sleep_for(milliseconds(100));
    auto online = ShownOnline(*a, group, bob);
    ASSERT_TRUE(online.ok()) << online.status();
    offline = !*online;
  }
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - killed);
  SharedCluster().StartAccess(1);
  ASSERT_TRUE(offline) << bob << " still shows online " << took.count() << " ms after kill -9";
  // One lease, plus the half second storage may cache a lease's state, plus
  // slack for a loaded machine (it must not take a second lease period).
  EXPECT_LE(took.count(), kTestLeaseMs + 1500);
  // The user logs in again on the restarted node and is online again.
  auto b_again = Connect(1);
  ASSERT_TRUE(b_again->Login(bob, kPassword).ok());
  EXPECT_EQ(ShownOnline(*a, group, bob).value_or(false), true);
}

TEST(RoutesTest, RoutesLostWithRedisComeBackWithoutAReconnect) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice, 0);
  auto b = RegisterAndLogin(bob, 1);
  a->StartHeartbeat();  // waiting for pushes must not look idle to the server
  b->StartHeartbeat();
  SharedCluster().FlushRedis();
  const auto flushed = Clock::now();
  // Each access node finds its lease gone at its next renewal and puts its
  // routes back; until then a send is stored but not pushed.
  bool pushed = false;
  for (int i = 0; !pushed && Clock::now() - flushed < milliseconds(3 * kTestLeaseMs); ++i) {
    ASSERT_TRUE(a->SendText(bob, "probe " + std::to_string(i)).ok());
    pushed =
        NextEventMatching(
            *b, [](const client::ServerFrame& f) { return f.has_message(); }, milliseconds(200))
            .ok();
  }
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - flushed);
  ASSERT_TRUE(pushed) << "no push reached " << bob << " " << took.count() << " ms after FLUSHALL";
  EXPECT_LE(took.count(), kTestLeaseMs);  // one renewal period (a third of it), plus slack
  // And the other way round, to alice on the other node (which restores
  // its routes at its own next renewal).
  bool back = false;
  for (int i = 0; !back && Clock::now() - flushed < milliseconds(3 * kTestLeaseMs); ++i) {
    ASSERT_TRUE(b->SendText(alice, "back " + std::to_string(i)).ok());
    back = NextEventMatching(
               *a, [](const client::ServerFrame& f) { return f.has_message(); }, milliseconds(200))
               .ok();
  }
  EXPECT_TRUE(back) << "no push reached " << alice << " after FLUSHALL";
  // Each node counted the lost lease and the routes it put back.
  for (int node = 0; node < 2; ++node) {
    const std::string page = HttpGet(SharedCluster().access_metrics_address(node), "/metrics");
    EXPECT_GE(MetricValue(page, "im_access_leases_lost_total"), 1) << page;
    EXPECT_GE(MetricValue(page, "im_access_routes_restored_total"), 1) << page;
  }
}

// Stops Redis; starts it again (empty) at End() or however the test ends.
class RedisOutage {
 public:
  RedisOutage() { SharedCluster().StopRedis(); }
  ~RedisOutage() { End(); }
  void End() {
    if (!over_) SharedCluster().StartRedis();
    over_ = true;
  }

 private:
  bool over_ = false;
};

// Sends from `from` to `to_name` until one push reaches `to` (or 3 leases pass).
bool PushesReach(cli::ImClient& from, const std::string& to_name, cli::ImClient& to) {
  const auto start = Clock::now();
  for (int i = 0; Clock::now() - start < milliseconds(3 * kTestLeaseMs); ++i) {
    if (!from.SendText(to_name, "probe " + std::to_string(i)).ok()) return false;
    if (NextEventMatching(
            to, [](const client::ServerFrame& f) { return f.has_message(); }, milliseconds(200))
            .ok()) {
      return true;
    }
  }
  return false;
}

TEST(RoutesTest, LoginsWhileRedisIsDownWorkAndTheirRoutesAreRegisteredWhenItIsBack) {
  const std::string alice = UniqueName("alice"), carol = UniqueName("carol"),
                    dave = UniqueName("dave");
  auto a = RegisterAndLogin(alice, 0);
  a->StartHeartbeat();
  ASSERT_TRUE(Connect(1)->Register(carol, kPassword).ok());
  std::string dave_token;
  {
    auto d = Connect(1);
    ASSERT_TRUE(d->Register(dave, kPassword).ok());
    auto login = d->Login(dave, kPassword, "phone");
    ASSERT_TRUE(login.ok()) << login.status();
    dave_token = login->session_token();
  }

  RedisOutage outage;
  // MySQL holds all a login needs: a password login and a token login work.
  auto c = Connect(1);
  auto by_password = c->Login(carol, kPassword, "laptop");
  ASSERT_TRUE(by_password.ok()) << by_password.status();
  auto d = Connect(1);
  client::ClientFrame resume;
  resume.mutable_login()->set_protocol_version(1);
  resume.mutable_login()->set_session_token(dave_token);
  auto by_token = d->Request(resume);
  ASSERT_TRUE(by_token.ok()) << by_token.status();
  EXPECT_EQ(by_token->login().username(), dave);
  c->StartHeartbeat();
  d->StartHeartbeat();
  // A send is stored and acknowledged; its push waits for routes.
  auto sent = a->SendText(carol, "while Redis was down");
  ASSERT_TRUE(sent.ok()) << sent.status();

  outage.End();
  // At its next renewal the node registers the routes those logins lacked.
  EXPECT_TRUE(PushesReach(*a, carol, *c)) << "no push reached " << carol;
  EXPECT_TRUE(PushesReach(*a, dave, *d)) << "no push reached " << dave;
  // And carol, now routed, still has what was sent while Redis was down.
  client::ClientFrame sync;
  sync.mutable_sync();
  auto synced = c->Request(sync);
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_NE(synced->DebugString().find("while Redis was down"), std::string::npos);
}

TEST(RoutesTest, ADrainTellsClientsToReconnectAndTakesTheirUsersOfflineAtOnce) {
  const std::string alice = UniqueName("alice"), bob = UniqueName("bob");
  auto a = RegisterAndLogin(alice, 0);
  auto b = RegisterAndLogin(bob, 1);
  const std::uint64_t group = GroupOfTwo(*a, bob);
  ASSERT_NE(group, 0u);
  ASSERT_EQ(ShownOnline(*a, group, bob).value_or(false), true);

  const int status = SharedCluster().StopAccess(1);  // SIGTERM, waits for the exit
  auto kick = NextEventMatching(*b, [](const client::ServerFrame& f) { return f.has_kick(); });
  auto online = ShownOnline(*a, group, bob);
  SharedCluster().StartAccess(1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
  ASSERT_TRUE(kick.ok()) << kick.status();
  EXPECT_TRUE(kick->kick().reconnect());
  ASSERT_TRUE(online.ok()) << online.status();
  EXPECT_FALSE(*online) << "a drained node's user still shows online";
}

}  // namespace
}  // namespace im::testing
