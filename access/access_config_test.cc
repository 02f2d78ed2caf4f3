#include "access/access_config.h"

#include <gtest/gtest.h>

namespace im::access {
namespace {

TEST(AccessConfigTest, TheClientPortIsTlsUnlessPlaintextIsAllowed) {
  AccessConfig config;
  const absl::Status bare = config.Validate();
  EXPECT_EQ(bare.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(bare.message()).find("tls.cert_file and tls.key_file"), std::string::npos)
      << bare;

  config.allow_plaintext = true;
  EXPECT_TRUE(config.Validate().ok());
  EXPECT_FALSE(config.tls());

  config.allow_plaintext = false;
  config.tls_cert_file = "server.pem";
  EXPECT_EQ(config.Validate().message(), "tls.cert_file and tls.key_file go together");
  config.tls_key_file = "server-key.pem";
  EXPECT_TRUE(config.Validate().ok());
  EXPECT_TRUE(config.tls());
}

TEST(AccessConfigTest, AByteRateIsOffOrAtLeastFourKilobytes) {
  AccessConfig config;
  config.allow_plaintext = true;
  config.max_bytes_per_second = 0;
  EXPECT_TRUE(config.Validate().ok());
  config.max_bytes_per_second = 100;
  EXPECT_EQ(config.Validate().code(), absl::StatusCode::kInvalidArgument);
  config.max_bytes_per_second = 4096;
  EXPECT_TRUE(config.Validate().ok());
}

TEST(AccessConfigTest, AWebRootIsServedOnTheWebSocketPortSoItNeedsOne) {
  AccessConfig config;
  config.allow_plaintext = true;
  config.web_root = "/srv/im-web";
  EXPECT_EQ(config.Validate().message(), "web_root is served on websocket_listen: set that too");
  config.websocket_listen = "127.0.0.1:7400";
  EXPECT_TRUE(config.Validate().ok());
}

TEST(AccessConfigTest, APollIsAnsweredWithinTheIdleTimeoutAndItsPathIsAPath) {
  AccessConfig config;
  config.allow_plaintext = true;
  config.poll_listen = "127.0.0.1:7500";
  EXPECT_TRUE(config.Validate().ok()) << config.Validate();
  config.poll_timeout_ms = config.idle_timeout_ms;
  EXPECT_NE(config.Validate().message().find("poll_timeout_ms must be under idle_timeout_ms"),
            std::string::npos)
      << config.Validate();
  config.poll_timeout_ms = 25000;
  for (const char* bad : {"poll", "/", "/poll/"}) {
    config.poll_path = bad;
    EXPECT_FALSE(config.Validate().ok()) << bad;
  }
  config.poll_path = "/im/poll";
  EXPECT_TRUE(config.Validate().ok());
}

TEST(AccessConfigTest, InternalTlsFilesGoTogether) {
  AccessConfig config;
  config.allow_plaintext = true;
  config.internal_tls.ca_file = "ca.pem";
  EXPECT_EQ(config.Validate().code(), absl::StatusCode::kInvalidArgument);
  config.internal_tls.cert_file = "internal.pem";
  config.internal_tls.key_file = "internal-key.pem";
  EXPECT_TRUE(config.Validate().ok());
  EXPECT_TRUE(config.internal_tls.enabled());
}

}  // namespace
}  // namespace im::access
