// Register and login over TCP against the real daemons.

#include <thread>

#include "common/client_status.h"
#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

using absl::StatusCode;

TEST(AccountsTest, RegisterThenLoginReturnsTheUserAndAToken) {
  const std::string name = UniqueName("alice");
  auto client = Connect();
  auto registered = client->Register(name, kPassword);
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_GT(registered->user_id(), 0u);
  auto login = client->Login(name, kPassword, "laptop");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->user_id(), registered->user_id());
  EXPECT_EQ(login->username(), name);
  EXPECT_EQ(login->session_token().size(), 64u);
}

// The server says how often to ping; a client pinging at that pace outlives
// the idle timeout (the test cluster's is 5 s), one that does not is closed.
TEST(AccountsTest, LoginTellsTheIdleTimeoutAndAClientPingingAtItsPaceStays) {
  const std::string name = UniqueName("pinger");
  auto pinging = Connect();
  auto silent = Connect();
  ASSERT_TRUE(pinging->Register(name, kPassword).ok());
  auto login = pinging->Login(name, kPassword, "phone");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->idle_timeout_ms(), 5000u);
  ASSERT_TRUE(silent->Login(name, kPassword, "tablet").ok());
  pinging->StartHeartbeat();  // every 5000 / 3 ms
  std::this_thread::sleep_for(std::chrono::milliseconds(7000));
  auto still = pinging->Request(Frame([](auto& f) { f.mutable_conv_list(); }));
  EXPECT_TRUE(still.ok()) << still.status();
  EXPECT_FALSE(silent->Request(Frame([](auto& f) { f.mutable_conv_list(); })).ok());
}

TEST(AccountsTest, WrongPasswordIsRefusedAndTheConnectionMayRetry) {
  const std::string name = UniqueName("carol");
  auto client = Connect();
  ASSERT_TRUE(client->Register(name, kPassword).ok());
  auto wrong = client->Login(name, "not-the-password");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), "wrong username or password");
  EXPECT_FALSE(common::RetryAfter(wrong.status())) << "the first failures cost no wait";
  EXPECT_TRUE(client->Login(name, kPassword).ok());
}

TEST(AccountsTest, AnUnknownNameGetsTheSameAnswerAsAWrongPassword) {
  const std::string name = UniqueName("frank");
  auto client = Connect();
  ASSERT_TRUE(client->Register(name, kPassword).ok());
  auto wrong = client->Login(name, "not-the-password");
  auto unknown = client->Login(UniqueName("nobody"), kPassword);
  EXPECT_EQ(unknown.status().code(), wrong.status().code());
  EXPECT_EQ(unknown.status().message(), wrong.status().message());
  EXPECT_EQ(unknown.status().message(), "wrong username or password");
}

TEST(AccountsTest, RepeatedWrongPasswordsMakeTheAccountWaitButNobodyElse) {
  const std::string name = UniqueName("grace");
  const std::string other = UniqueName("heidi");
  auto client = Connect();
  ASSERT_TRUE(client->Register(name, kPassword).ok());
  ASSERT_TRUE(client->Register(other, kPassword).ok());
  // Five failures are free (login.free_failures_per_account); the sixth makes
  // the next attempt wait login.backoff_base_ms (1 s).
  for (int i = 0; i < 5; ++i) {
    auto wrong = client->Login(name, "guess-" + std::to_string(i));
    ASSERT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
    EXPECT_FALSE(common::RetryAfter(wrong.status())) << "failure " << i + 1;
  }
  auto sixth = client->Login(name, "guess-5");
  ASSERT_EQ(sixth.status().code(), StatusCode::kUnauthenticated);
  ASSERT_TRUE(common::RetryAfter(sixth.status()));
  EXPECT_EQ(*common::RetryAfter(sixth.status()), std::chrono::milliseconds(1000));

  // Even the right password waits, and says for how long.
  auto early = client->Login(name, kPassword);
  EXPECT_EQ(early.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(early.status().message(), "too many failed logins for this account; try again in 1 s");
  ASSERT_TRUE(common::RetryAfter(early.status()));
  EXPECT_LE(*common::RetryAfter(early.status()), std::chrono::milliseconds(1000));
  // Another account, from the same address, is not held up.
  EXPECT_TRUE(Connect()->Login(other, kPassword).ok());

  std::this_thread::sleep_for(*common::RetryAfter(early.status()) + std::chrono::milliseconds(50));
  ASSERT_TRUE(client->Login(name, kPassword).ok()) << "after the wait";
  // The success forgot the failures: the next wrong one is free again.
  auto fresh = Connect()->Login(name, "guess-6");
  EXPECT_EQ(fresh.status().code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(common::RetryAfter(fresh.status()));
}

TEST(AccountsTest, TakenNameAndBadNamesGetClearStatuses) {
  const std::string name = UniqueName("dave");
  auto client = Connect();
  ASSERT_TRUE(client->Register(name, kPassword).ok());
  auto taken = client->Register(name, "another-password");
  EXPECT_EQ(taken.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(std::string(taken.status().message()).find("already taken"), std::string::npos);

  EXPECT_EQ(client->Register("x", kPassword).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Register(UniqueName("erin"), "short").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Register("bad name", kPassword).status().code(), StatusCode::kInvalidArgument);
}

TEST(AccountsTest, SessionTokenLogsInOnANewConnection) {
  const std::string name = UniqueName("frank");
  auto first = RegisterAndLogin(name);
  // The token from a fresh password login on another connection.
  auto second = Connect();
  auto login = second->Login(name, kPassword, "phone");
  ASSERT_TRUE(login.ok());
  auto third = Connect();
  client::ClientFrame resume;
  resume.mutable_login()->set_protocol_version(1);
  resume.mutable_login()->set_session_token(login->session_token());
  auto resumed = third->Request(resume);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->login().username(), name);
  // The resumed session is the token's device ("phone"): it took the route
  // over from the connection that logged in with the password...
  auto kick = second->NextEvent(std::chrono::seconds(5));
  ASSERT_TRUE(kick.ok()) << kick.status();
  EXPECT_TRUE(kick->has_kick());
  // ...and messages to the user reach it.
  auto sender = RegisterAndLogin(UniqueName("fred"));
  auto sent = sender->SendText(name, "to the resumed session");
  ASSERT_TRUE(sent.ok()) << sent.status();
  auto pushed = third->NextEvent(std::chrono::seconds(5));
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->message().msg_id(), sent->msg_id());

  auto forged = Connect();
  client::ClientFrame bad;
  bad.mutable_login()->set_session_token(std::string(64, 'a'));
  EXPECT_EQ(forged->Request(bad).status().code(), StatusCode::kUnauthenticated);
}

TEST(AccountsTest, ATokenWorksOnlyForItsUserAndDeviceAndLogoutEndsIt) {
  const std::string name = UniqueName("hana"), other = UniqueName("ian");
  auto holder = RegisterAndLogin(name, 0, "phone");  // holds the "phone" route
  auto someone = RegisterAndLogin(other);
  auto second = Connect();
  auto login = second->Login(name, kPassword, "laptop");
  ASSERT_TRUE(login.ok()) << login.status();
  const std::string token = login->session_token();

  // Named with another user, or another device: refused, and nobody kicked.
  auto as_other = Connect();
  auto refused = as_other->LoginWithToken(other, token, "laptop");
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(std::string(refused.status().message()).find("another user or device"),
            std::string::npos)
      << refused.status();
  auto as_phone = Connect();
  EXPECT_EQ(as_phone->LoginWithToken(name, token, "phone").status().code(),
            StatusCode::kUnauthenticated);
  auto quiet = holder->NextEvent(std::chrono::milliseconds(500));
  EXPECT_EQ(quiet.status().code(), StatusCode::kDeadlineExceeded) << "the phone was disturbed";

  // Its own user and device: accepted (it takes the laptop route over).
  auto third = Connect();
  ASSERT_TRUE(third->LoginWithToken(name, token, "laptop").ok());

  // Logout: another user cannot end it; its user can, and then it is dead.
  EXPECT_EQ(someone->Logout(token).code(), StatusCode::kNotFound);
  EXPECT_TRUE(holder->Logout(token).ok());
  EXPECT_EQ(holder->Logout(token).code(), StatusCode::kNotFound);
  auto after = Connect();
  EXPECT_EQ(after->LoginWithToken(name, token, "laptop").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Connect()->Logout(token).code(), StatusCode::kUnauthenticated) << "needs a login";
}

TEST(AccountsTest, SecondLoginOnTheSameDeviceKicksTheFirst) {
  const std::string name = UniqueName("gina");
  auto first = RegisterAndLogin(name, 0, "phone");
  auto second = Connect(1);  // another access node
  ASSERT_TRUE(second->Login(name, kPassword, "phone").ok());
  auto kick = first->NextEvent(std::chrono::seconds(5));
  ASSERT_TRUE(kick.ok()) << kick.status();
  EXPECT_TRUE(kick->has_kick());
  // The kicked connection is closed by the server.
  for (int i = 0; i < 50 && first->connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(first->connected());
}

TEST(AccountsTest, LoginTwiceOnOneConnectionIsRefused) {
  const std::string name = UniqueName("hank");
  auto client = RegisterAndLogin(name);
  EXPECT_EQ(client->Login(name, kPassword).status().code(), StatusCode::kFailedPrecondition);
}

// Restarts access node 1 with a pace of one login a second, checks that a
// login over it is told when to come back and succeeds then, and restores it.
// A storm of registers overfills the password workers' queue. A register
// that could not start in time is answered "busy" and creates nothing, so
// the same register tried again later succeeds; every register answered OK
// created its account.
TEST(AccountsTest, ARegisterAnsweredBusyCreatedNothing) {
  constexpr int kRegisters = 160;
  std::vector<std::string> names;
  for (int i = 0; i < kRegisters; ++i) names.push_back(UniqueName("storm"));
  std::vector<absl::Status> answers(kRegisters);
  SharedCluster();  // started before the threads use it
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kRegisters; ++i) {
      threads.emplace_back([&, i] {
        auto client = Connect(i % 2);
        answers[i] = client != nullptr ? client->Register(names[i], kPassword).status()
                                       : absl::UnavailableError("could not connect");
      });
    }
    for (auto& t : threads) t.join();
  }
  int created = 0;
  int busy = 0;
  for (int i = 0; i < kRegisters; ++i) {
    if (answers[i].ok()) {
      ++created;
      EXPECT_EQ(Connect()->Register(names[i], kPassword).status().code(),
                StatusCode::kAlreadyExists);
      continue;
    }
    ++busy;
    EXPECT_TRUE(answers[i].code() == StatusCode::kUnavailable ||
                answers[i].code() == StatusCode::kResourceExhausted)
        << answers[i];
    absl::Status again;
    for (int attempt = 0; attempt < 20; ++attempt) {
      again = Connect()->Register(names[i], kPassword).status();
      if (again.code() != StatusCode::kUnavailable &&
          again.code() != StatusCode::kResourceExhausted) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_TRUE(again.ok()) << "answered " << answers[i] << ", then " << again;
  }
  std::cout << "registers: " << created << " created, " << busy << " answered busy\n";
}

TEST(AccountsTest, LoginsOverTheNodesPaceAreToldWhenToRetry) {
  const std::string name = UniqueName("ivy");
  auto registered = RegisterAndLogin(name);  // on node 0
  TestCluster& cluster = SharedCluster();
  cluster.StopAccess(1);
  cluster.StartAccess(1, {"--login_rate=1", "--login_burst=1"});

  auto first = Connect(1);
  ASSERT_TRUE(first->Login(name, kPassword, "one").ok());
  auto second = Connect(1);
  const auto refused = second->Login(name, kPassword, "two");
  ASSERT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status();
  const auto hint = common::RetryAfter(refused.status());
  ASSERT_TRUE(hint.has_value()) << refused.status();
  EXPECT_GT(hint->count(), 0);
  EXPECT_LE(hint->count(), 1000);
  EXPECT_TRUE(second->connected());  // refused, not dropped: the same connection retries
  std::this_thread::sleep_for(*hint + std::chrono::milliseconds(50));
  EXPECT_TRUE(second->Login(name, kPassword, "two").ok());

  cluster.StopAccess(1);
  cluster.StartAccess(1);
}

}  // namespace
}  // namespace im::testing
