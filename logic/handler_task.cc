#include "logic/handler_task.h"

#include "common/logging.h"

namespace im::logic {

void HandlerTask::promise_type::unhandled_exception() noexcept {
  try {
    std::rethrow_exception(std::current_exception());
  } catch (const std::exception& e) {
    common::GetLogger("logic")->error("event=handler_threw what=\"{}\"", e.what());
  } catch (...) {
    common::GetLogger("logic")->error("event=handler_threw what=unknown");
  }
}

}  // namespace im::logic
