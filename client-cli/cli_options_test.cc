#include "client-cli/cli_options.h"

#include <gtest/gtest.h>

namespace im::cli {
namespace {

absl::StatusOr<CliOptions> Parse(std::vector<const char*> args, std::vector<const char*> env = {}) {
  args.insert(args.begin(), "im-cli");
  env.push_back(nullptr);
  return ParseCliOptions(static_cast<int>(args.size()), args.data(), env.data());
}

TEST(CliOptionsTest, DefaultsAndEnvironment) {
  auto o = Parse({"listen"}, {"IM_USER=alice", "IM_PASSWORD=pw", "IM_SERVER=10.0.0.1:7000"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->command, "listen");
  EXPECT_EQ(o->user, "alice");
  EXPECT_EQ(*o->password, "pw");
  EXPECT_EQ(o->server, "10.0.0.1:7000");
  auto d = Parse({});
  EXPECT_EQ(d->server, kDefaultServer);
  EXPECT_TRUE(d->command.empty());
  EXPECT_FALSE(d->password.has_value());
}

TEST(CliOptionsTest, FlagsBeatEnvironmentAndMayFollowTheCommand) {
  auto o = Parse({"send", "bob", "hello", "there", "--user=carol", "--server", "h:1", "--json"},
                 {"IM_USER=alice"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->user, "carol");
  EXPECT_EQ(o->server, "h:1");
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->args, (std::vector<std::string>{"bob", "hello", "there"}));
}

TEST(CliOptionsTest, DoubleDashEndsOptions) {
  auto o = Parse({"send", "bob", "--", "--not-an-option"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->args.back(), "--not-an-option");
}

TEST(CliOptionsTest, ListenCountAndTimeoutAreValidated) {
  auto o = Parse({"listen", "--count", "3", "--timeout=2.5"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o->count, 3);
  EXPECT_DOUBLE_EQ(*o->timeout_s, 2.5);
  EXPECT_FALSE(Parse({"listen", "--count", "0"}).ok());
  EXPECT_FALSE(Parse({"listen", "--count", "x"}).ok());
  EXPECT_FALSE(Parse({"listen", "--timeout=-1"}).ok());
  EXPECT_FALSE(Parse({"--bogus=1"}).ok());
  EXPECT_FALSE(Parse({"send", "--user"}).ok());
}

TEST(CliOptionsTest, EachKindOfUseHasItsOwnDeviceUnlessOneIsGiven) {
  EXPECT_EQ(Parse({})->device, "cli");
  EXPECT_EQ(Parse({"listen"})->device, "cli-listen");
  EXPECT_EQ(Parse({"history", "bob"})->device, "cli-cmd");
  EXPECT_EQ(Parse({"send", "bob", "hi", "--device", "phone"})->device, "phone");
  EXPECT_EQ(Parse({"listen"}, {"IM_DEVICE=tablet"})->device, "tablet");
}

}  // namespace
}  // namespace im::cli
