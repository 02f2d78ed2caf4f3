#pragma once
// Swappable<T>: an immutable T in force, shared by every handler thread and
// replaced whole when the operator reloads it (SIGHUP), so work in flight
// keeps the one it started with. Empty (null) until one is set. Thread-safe.

#include <atomic>
#include <memory>

namespace im::logic {

template <typename T>
class Swappable {
 public:
  std::shared_ptr<const T> current() const { return current_.load(); }
  void Set(std::shared_ptr<const T> value) { current_.store(std::move(value)); }

 private:
  std::atomic<std::shared_ptr<const T>> current_;
};

}  // namespace im::logic
