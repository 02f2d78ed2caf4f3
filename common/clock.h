#pragma once
// Wall-clock time as carried in protocol fields (milliseconds since the epoch).

#include <chrono>
#include <cstdint>

namespace im::common {

inline std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace im::common
