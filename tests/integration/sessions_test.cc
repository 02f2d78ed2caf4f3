// A user's sessions over TCP: listing devices, signing one out (its
// connection is closed and its token stops working), and changing the
// password (every other device is signed out; the old password stops
// working); im-cli's devices and passwd commands.

#include <thread>

#include "client-cli/requests.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/cluster_env.h"

namespace im::testing {
namespace {

using absl::StatusCode;
using std::chrono::seconds;

// Waits for the Kick on `client` and returns its reason ("" if none came).
std::string KickReason(cli::ImClient& client) {
  auto kick = NextEventMatching(
      client, [](const auto& f) { return f.has_kick(); }, seconds(5));
  return kick.ok() ? kick->kick().reason() : "";
}

TEST(SessionsTest, DevicesAreListedAndOneCanBeSignedOut) {
  const std::string name = UniqueName("sam");
  ASSERT_TRUE(Connect()->Register(name, kPassword).ok());
  auto phone = Connect(1);
  auto phone_login = phone->Login(name, kPassword, "phone");
  ASSERT_TRUE(phone_login.ok());
  auto laptop = Connect();
  ASSERT_TRUE(laptop->Login(name, kPassword, "laptop").ok());

  auto devices = laptop->Request(Frame([](auto& f) { f.mutable_devices(); }));
  ASSERT_TRUE(devices.ok()) << devices.status();
  std::map<std::string, bool> listed;
  for (const auto& s : devices->devices().sessions()) listed[s.device_id()] = s.current();
  EXPECT_EQ(listed, (std::map<std::string, bool>{{"laptop", true}, {"phone", false}}));

  auto revoked =
      laptop->Request(Frame([](auto& f) { f.mutable_revoke_device()->set_device_id("phone"); }));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->revoke_device().sessions_revoked(), 1u);
  EXPECT_EQ(KickReason(*phone), "signed out from another device");
  EXPECT_EQ(Connect()->LoginWithToken(name, phone_login->session_token(), "phone").status().code(),
            StatusCode::kUnauthenticated);

  auto own =
      laptop->Request(Frame([](auto& f) { f.mutable_revoke_device()->set_device_id("laptop"); }));
  EXPECT_EQ(own.status().code(), StatusCode::kFailedPrecondition);
  auto none =
      laptop->Request(Frame([](auto& f) { f.mutable_revoke_device()->set_device_id("toaster"); }));
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(none.status().message(), "no session on device 'toaster'");
}

TEST(SessionsTest, AChangedPasswordSignsOutEveryOtherDevice) {
  const std::string name = UniqueName("pat");
  ASSERT_TRUE(Connect()->Register(name, kPassword).ok());
  auto phone = Connect(1);
  auto phone_login = phone->Login(name, kPassword, "phone");
  ASSERT_TRUE(phone_login.ok());
  auto laptop = Connect();
  auto laptop_login = laptop->Login(name, kPassword, "laptop");
  ASSERT_TRUE(laptop_login.ok());
  const auto change = [&](const std::string& old_password, const std::string& new_password) {
    return laptop->Request(Frame([&](auto& f) {
      f.mutable_change_password()->set_old_password(old_password);
      f.mutable_change_password()->set_new_password(new_password);
    }));
  };

  auto wrong = change("not-the-password", "brand-new-password");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), "the old password is wrong");
  EXPECT_EQ(change(kPassword, "short").status().code(), StatusCode::kInvalidArgument);

  auto changed = change(kPassword, "brand-new-password");
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->change_password().sessions_revoked(), 1u);
  EXPECT_EQ(KickReason(*phone), "the password was changed: log in again");
  EXPECT_EQ(Connect()->LoginWithToken(name, phone_login->session_token(), "phone").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Connect()->Login(name, kPassword).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Connect()->Login(name, "brand-new-password", "tablet").ok());
  // This device stays logged in, on this connection and with its token.
  EXPECT_TRUE(laptop->Request(Frame([](auto& f) { f.mutable_conv_list(); })).ok());
  EXPECT_TRUE(Connect()->LoginWithToken(name, laptop_login->session_token(), "laptop").ok());
}

TEST(SessionsTest, ImCliListsDevicesAndChangesThePassword) {
  const std::string name = UniqueName("quinn");
  ASSERT_EQ(RunCli(Args(Server(), {"register", name, "--password", kPassword})).exit_code, 0);
  ASSERT_EQ(
      RunCli(Args(Server(), {"--user", name, "--password", kPassword, "--device", "desk", "login"}))
          .exit_code,
      0);
  auto devices = RunCli(
      Args(Server(), {"--user", name, "--password", kPassword, "--device", "desk", "devices"}));
  EXPECT_EQ(devices.exit_code, 0) << devices.err;
  EXPECT_NE(devices.out.find("desk (this command)  logged in "), std::string::npos) << devices.out;

  auto changed = RunCli(Args(Server(), {"--user", name, "--password", kPassword, "--device",
                                        "other", "passwd", "--new-password", "fresh-password-1"}));
  EXPECT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out, "password changed; 1 session(s) of other devices ended\n");
  auto with_old =
      RunCli(Args(Server(), {"--user", name, "--password", kPassword, "--device", "x", "devices"}));
  EXPECT_EQ(with_old.exit_code, 1);
  auto with_new = RunCli(Args(
      Server(), {"--user", name, "--password", "fresh-password-1", "--device", "x", "devices"}));
  EXPECT_EQ(with_new.exit_code, 0) << with_new.err;
}

// Devices online at once, per user: logic restarted with a cap of 2 (and
// back to the test cluster's default afterwards).
class DeviceCapTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic({"--limits.devices_online_per_user=2"});
  }
  static void TearDownTestSuite() {
    SharedCluster().StopLogic();
    SharedCluster().StartLogic();
  }
};

// Keeps logging in until it works or `within` passes (a route goes a moment
// after its connection closes); returns the last answer.
absl::StatusOr<client::LoginResponse> LoginWhenAllowed(cli::ImClient& client,
                                                       const std::string& name,
                                                       const std::string& device,
                                                       std::chrono::milliseconds within) {
  const auto until = std::chrono::steady_clock::now() + within;
  for (;;) {
    auto login = client.Login(name, kPassword, device);
    if (login.ok() || std::chrono::steady_clock::now() > until) return login;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST_F(DeviceCapTest, AThirdDeviceWaitsUntilOneLeavesAndTheSameDeviceAlwaysGetsBackIn) {
  const std::string name = UniqueName("cap");
  auto phone = RegisterAndLogin(name, 0, "phone");
  ASSERT_NE(phone, nullptr);
  std::string tablet_token;
  {
    auto tablet = Connect(1);
    auto login = tablet->Login(name, kPassword, "tablet");
    ASSERT_TRUE(login.ok()) << login.status();
    tablet_token = login->session_token();
  }  // the tablet goes offline
  auto laptop = Connect(1);
  auto laptop_login = LoginWhenAllowed(*laptop, name, "laptop", seconds(5));
  ASSERT_TRUE(laptop_login.ok()) << laptop_login.status();

  // Online on phone and laptop: a third device is refused, with a password
  // or with the token of an earlier login, and its refused login leaves no
  // session behind.
  auto pad = Connect(0);
  auto refused = pad->Login(name, kPassword, "pad");
  ASSERT_EQ(refused.status().code(), StatusCode::kResourceExhausted) << refused.status();
  EXPECT_NE(refused.status().message().find("online on 2 devices, the most allowed at once"),
            std::string::npos)
      << refused.status();
  EXPECT_EQ(Connect(0)->LoginWithToken(name, tablet_token, "tablet").status().code(),
            StatusCode::kResourceExhausted);
  auto devices = phone->Request(Frame([](auto& f) { f.mutable_devices(); }));
  ASSERT_TRUE(devices.ok()) << devices.status();
  for (const auto& session : devices->devices().sessions()) {
    EXPECT_NE(session.device_id(), "pad") << "the refused login left a session";
  }

  // The phone logging in again (say, after its network changed) gets in and
  // replaces its old connection.
  auto phone_again = Connect(1);
  EXPECT_TRUE(phone_again->Login(name, kPassword, "phone").ok());
  EXPECT_EQ(KickReason(*phone), "logged in on the same device elsewhere");

  // Once the laptop leaves, the pad gets in.
  laptop.reset();
  auto let_in = LoginWhenAllowed(*pad, name, "pad", seconds(5));
  EXPECT_TRUE(let_in.ok()) << let_in.status();
}

}  // namespace
}  // namespace im::testing
