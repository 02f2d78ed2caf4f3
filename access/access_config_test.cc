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

}  // namespace
}  // namespace im::access
