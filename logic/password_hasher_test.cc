#include "logic/password_hasher.h"

#include <gtest/gtest.h>

namespace im::logic {
namespace {

// Cheap argon2id parameters keep the test fast; production uses config.
const PasswordHasher kHasher(1, 8 * 1024 * 1024);

TEST(PasswordHasherTest, HashIsArgon2idAndVerifiesOnlyTheRightPassword) {
  auto hash = kHasher.Hash("correct horse");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(kHasher.Verify("correct horse", *hash));
  EXPECT_FALSE(kHasher.Verify("correct horsE", *hash));
  EXPECT_FALSE(kHasher.Verify("", *hash));
  EXPECT_FALSE(kHasher.Verify("correct horse", "not a hash"));
}

TEST(PasswordHasherTest, SamePasswordHashesDifferently) {
  EXPECT_NE(*kHasher.Hash("password1"), *kHasher.Hash("password1"));
}

TEST(PasswordHasherTest, UsernameRules) {
  EXPECT_TRUE(ValidateUsername("alice").ok());
  EXPECT_TRUE(ValidateUsername("Bob_2.x-y").ok());
  EXPECT_FALSE(ValidateUsername("al").ok());
  EXPECT_FALSE(ValidateUsername(std::string(33, 'a')).ok());
  EXPECT_FALSE(ValidateUsername("1alice").ok());
  EXPECT_FALSE(ValidateUsername("ali ce").ok());
  EXPECT_FALSE(ValidateUsername("alice|x").ok());
  EXPECT_FALSE(ValidateUsername("").ok());
}

TEST(PasswordHasherTest, PasswordRules) {
  EXPECT_TRUE(ValidatePassword("12345678").ok());
  EXPECT_FALSE(ValidatePassword("1234567").ok());
  EXPECT_FALSE(ValidatePassword(std::string(129, 'p')).ok());
}

TEST(PasswordHasherTest, SessionTokensAreRandomAndHashStably) {
  const std::string a = NewSessionToken(), b = NewSessionToken();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(HashSessionToken(a), HashSessionToken(a));
  EXPECT_NE(HashSessionToken(a), HashSessionToken(b));
}

}  // namespace
}  // namespace im::logic
