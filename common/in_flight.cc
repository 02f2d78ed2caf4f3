#include "common/in_flight.h"

namespace im::common {

InFlight::InFlight() : state_(std::make_shared<State>()) {}

InFlight::Guard InFlight::Enter() {
  {
    std::lock_guard lock(state_->mutex);
    ++state_->count;
  }
  // The deleter holds the state, so a Guard may outlive this object.
  return Guard(state_.get(), [state = state_](void*) {
    std::lock_guard lock(state->mutex);
    if (--state->count == 0) state->idle.notify_all();
  });
}

std::size_t InFlight::count() const {
  std::lock_guard lock(state_->mutex);
  return state_->count;
}

bool InFlight::WaitUntilIdle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mutex);
  return state_->idle.wait_for(lock, timeout, [this] { return state_->count == 0; });
}

}  // namespace im::common
