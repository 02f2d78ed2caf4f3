#include "access/deadline_sweeper.h"

#include "access/connection.h"
#include "access/connection_registry.h"

namespace im::access {
namespace asio = boost::asio;

DeadlineSweeper::DeadlineSweeper(asio::io_context& io, ConnectionRegistry* registry,
                                 std::chrono::milliseconds period)
    : timer_(io), registry_(registry), period_(period) {}

void DeadlineSweeper::Start() {
  asio::post(timer_.get_executor(), [this] { Arm(); });
}

void DeadlineSweeper::Stop() {
  asio::post(timer_.get_executor(), [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void DeadlineSweeper::Arm() {
  timer_.expires_after(period_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    for (const auto& conn : registry_->Due(Connection::SteadyNowMs())) conn->CheckDeadline();
    Arm();
  });
}

}  // namespace im::access
