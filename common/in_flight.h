#pragma once
// Counts work that was started and has not finished: asynchronous calls whose
// callbacks have not yet run, queued jobs. A daemon's shutdown waits on it
// before it destroys the objects those callbacks use, so no callback runs
// into a destroyed handler (logic/main.cc).
//
// Work holds a Guard from Enter() until its last step is done; copies of a
// Guard share one count, which drops when the last copy goes. A callback
// that starts further work enters it before its own Guard goes, so a chain of
// calls keeps the count above zero from its first call to its last.
// Thread-safe. Guards may outlive the InFlight (they share its state).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace im::common {

class InFlight {
 public:
  using Guard = std::shared_ptr<void>;

  InFlight();

  Guard Enter();
  std::size_t count() const;
  // Waits until nothing is in flight or `timeout` passed; true if nothing is.
  bool WaitUntilIdle(std::chrono::milliseconds timeout) const;

 private:
  struct State {
    mutable std::mutex mutex;
    mutable std::condition_variable idle;
    std::size_t count = 0;
  };
  std::shared_ptr<State> state_;
};

}  // namespace im::common
