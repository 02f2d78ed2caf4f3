#pragma once
// Password hashing with argon2id (libsodium crypto_pwhash_str), and the
// account name and password rules. Hash and Verify are deliberately slow
// (tens of ms, tens of MiB): call them on a worker thread, never on a gRPC or
// I/O thread. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace im::logic {

class PasswordHasher {
 public:
  PasswordHasher(std::uint64_t ops_limit, std::size_t mem_limit_bytes);

  absl::StatusOr<std::string> Hash(std::string_view password) const;
  // True only if `password` matches `stored_hash`.
  bool Verify(std::string_view password, const std::string& stored_hash) const;

 private:
  std::uint64_t ops_limit_;
  std::size_t mem_limit_bytes_;
};

// 3-32 characters: letters, digits, '_', '.', '-', starting with a letter.
absl::Status ValidateUsername(std::string_view username);
// 8-128 bytes.
absl::Status ValidatePassword(std::string_view password);

// A new random session token (hex) and the hash under which it is stored.
std::string NewSessionToken();
std::string HashSessionToken(std::string_view token);

}  // namespace im::logic
