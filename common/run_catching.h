#pragma once
// The last line of defence against a bug that throws (a wrong column index
// in storage, a bad_alloc): work run through RunCatching answers INTERNAL
// instead of taking the daemon down with std::terminate, and the exception
// is logged (`event=unexpected_exception`) so the bug gets found.
// Exceptions are not how this code base reports errors (absl::Status is);
// this only keeps one broken request from ending every other one.

#include <exception>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/logging.h"
#include "common/str_cat.h"

namespace im::common {

// Logs an exception that escaped `where` (a daemon's module: "storage"...).
inline void LogUnexpectedException(std::string_view where, std::string_view what) {
  GetLogger(std::string(where))->error("event=unexpected_exception what=\"{}\"", what);
}

// Runs `work` (returning absl::Status); an exception becomes INTERNAL.
template <typename Work>
absl::Status RunCatching(std::string_view where, Work&& work) {
  try {
    return std::forward<Work>(work)();
  } catch (const std::exception& e) {
    LogUnexpectedException(where, e.what());
    return absl::InternalError(StrCat(where, " failed: ", e.what()));
  } catch (...) {
    LogUnexpectedException(where, "an exception of unknown type");
    return absl::InternalError(StrCat(where, " failed"));
  }
}

}  // namespace im::common
