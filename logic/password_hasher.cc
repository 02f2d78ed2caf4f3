#include "logic/password_hasher.h"

#include <sodium.h>

#include <cctype>
#include <stdexcept>

namespace im::logic {

PasswordHasher::PasswordHasher(std::uint64_t ops_limit, std::size_t mem_limit_bytes)
    : ops_limit_(ops_limit), mem_limit_bytes_(mem_limit_bytes) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

absl::StatusOr<std::string> PasswordHasher::Hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops_limit_, mem_limit_bytes_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("out of memory while hashing a password");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(std::string_view password, const std::string& stored_hash) const {
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

absl::Status ValidateUsername(std::string_view name) {
  if (name.size() < 3 || name.size() > 32) {
    return absl::InvalidArgumentError("username must be 3 to 32 characters");
  }
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) {
    return absl::InvalidArgumentError("username must start with a letter");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return absl::InvalidArgumentError(
          "username may contain only letters, digits, '_', '.' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePassword(std::string_view password) {
  if (password.size() < 8) return absl::InvalidArgumentError("password must be at least 8 bytes");
  if (password.size() > 128)
    return absl::InvalidArgumentError("password must be at most 128 bytes");
  return absl::OkStatus();
}

std::string NewSessionToken() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

std::string HashSessionToken(std::string_view token) {
  unsigned char hash[crypto_generichash_BYTES];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(hash), sizeof hash);
}

}  // namespace im::logic
