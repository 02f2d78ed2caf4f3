#pragma once
// The key that makes the one-to-one conversation between two users unique
// (conversations.peer_key): "<lower user id>:<higher user id>".

#include <algorithm>
#include <cstdint>
#include <string>

#include "common/str_cat.h"

namespace im::storage {

inline std::string DirectPeerKey(std::uint64_t a, std::uint64_t b) {
  return common::StrCat(std::min(a, b), ":", std::max(a, b));
}

}  // namespace im::storage
