#pragma once
// StrCat: concatenates strings and numbers. (Debian's Abseil is built with its
// own absl::string_view, so absl::StrCat does not take std::string_view.)

#include <sstream>
#include <string>

namespace im::common {

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

}  // namespace im::common
