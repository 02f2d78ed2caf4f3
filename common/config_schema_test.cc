#include "common/config_schema.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace im::common {
namespace {

struct Settings {
  std::string listen = "127.0.0.1:7000";
  std::int64_t idle_ms = 60000;
  bool debug = false;
  std::string mysql_host = "127.0.0.1";
};

class ConfigSchemaTest : public ::testing::Test {
 protected:
  ConfigSchemaTest() : schema_("im-test", "IM_TEST") {
    schema_.Add("listen", &s_.listen, "address to listen on");
    schema_.Add("idle_timeout_ms", &s_.idle_ms, "idle timeout", 1000, 3600000);
    schema_.Add("debug", &s_.debug, "debug mode");
    schema_.Add("mysql.host", &s_.mysql_host, "database host");
  }

  std::string WriteFile(const std::string& text) {
    std::string path = ::testing::TempDir() + "/config_schema_test.toml";
    std::ofstream(path) << text;
    return path;
  }

  absl::Status Load(std::vector<const char*> args, std::vector<const char*> env = {}) {
    args.insert(args.begin(), "im-test");
    env.push_back(nullptr);
    return schema_.Load(static_cast<int>(args.size()), args.data(), env.data());
  }

  Settings s_;
  ConfigSchema schema_;
};

TEST_F(ConfigSchemaTest, DefaultsStayWhenNothingIsGiven) {
  ASSERT_TRUE(Load({}).ok());
  EXPECT_EQ(s_.listen, "127.0.0.1:7000");
  EXPECT_EQ(s_.idle_ms, 60000);
}

TEST_F(ConfigSchemaTest, FileThenEnvThenFlagsInPrecedence) {
  std::string path =
      WriteFile("listen = \"0.0.0.0:1\"\nidle_timeout_ms = 2000\n[mysql]\nhost = \"db\"\n");
  ASSERT_TRUE(Load({"--config", path.c_str(), "--listen=0.0.0.0:3"},
                   {"IM_TEST_LISTEN=0.0.0.0:2", "IM_TEST_IDLE_TIMEOUT_MS=3000"})
                  .ok());
  EXPECT_EQ(s_.listen, "0.0.0.0:3");
  EXPECT_EQ(s_.idle_ms, 3000);
  EXPECT_EQ(s_.mysql_host, "db");
}

TEST_F(ConfigSchemaTest, EnvNamesTheConfigFile) {
  std::string path = WriteFile("[mysql]\nhost = \"from-file\"\n");
  std::string env = "IM_TEST_CONFIG=" + path;
  ASSERT_TRUE(Load({}, {env.c_str(), "IM_TEST_MYSQL_HOST=from-env"}).ok());
  EXPECT_EQ(s_.mysql_host, "from-env");
}

TEST_F(ConfigSchemaTest, UnknownKeyInFileIsAnErrorNamingTheLine) {
  std::string path = WriteFile("listen = \"x\"\nidle_timeout = 5\n");
  absl::Status status = Load({"--config", path.c_str()});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(":2: unknown setting idle_timeout"), std::string::npos)
      << status.message();
}

TEST_F(ConfigSchemaTest, OutOfRangeAndWrongTypeAreErrors) {
  EXPECT_FALSE(Load({"--idle_timeout_ms=5"}).ok());
  EXPECT_FALSE(Load({"--idle_timeout_ms=abc"}).ok());
  EXPECT_FALSE(Load({"--debug=maybe"}).ok());
  std::string path = WriteFile("listen = 5\n");
  EXPECT_FALSE(Load({"--config", path.c_str()}).ok());
  std::string path2 = WriteFile("idle_timeout_ms = \"10s\"\n");
  EXPECT_FALSE(Load({"--config", path2.c_str()}).ok());
}

TEST_F(ConfigSchemaTest, UnknownFlagAndMissingValueAreErrors) {
  absl::Status status = Load({"--nope=1"});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("unknown flag --nope"), std::string::npos);
  EXPECT_FALSE(Load({"--listen"}).ok());
  EXPECT_FALSE(Load({"positional"}).ok());
}

TEST_F(ConfigSchemaTest, BadTomlIsAnError) {
  std::string path = WriteFile("listen = \n");
  EXPECT_FALSE(Load({"--config", path.c_str()}).ok());
  EXPECT_FALSE(Load({"--config", "/nonexistent/file.toml"}).ok());
}

TEST_F(ConfigSchemaTest, HelpListsEverySettingWithItsEnvName) {
  ASSERT_TRUE(Load({"--help"}).ok());
  EXPECT_TRUE(schema_.help_requested());
  const std::string help = schema_.HelpText();
  EXPECT_NE(help.find("mysql.host"), std::string::npos);
  EXPECT_NE(help.find("IM_TEST_MYSQL_HOST"), std::string::npos);
  EXPECT_NE(help.find("default 60000"), std::string::npos);
}

}  // namespace
}  // namespace im::common
