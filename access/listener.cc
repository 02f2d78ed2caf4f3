#include "access/listener.h"

#include "access/connection_registry.h"
#include "common/clock.h"
#include "common/logging.h"

namespace im::access {
namespace asio = boost::asio;

Listener::Listener(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                   const ConnectionOptions& options, LogicClient* logic,
                   ConnectionRegistry* registry)
    : io_(io),
      acceptor_(io, endpoint, /*reuse_address=*/true),
      retry_timer_(io),
      options_(options),
      logic_(logic),
      registry_(registry),
      next_conn_id_(static_cast<std::uint64_t>(common::NowMs()) << 16) {}

void Listener::Start() {
  asio::post(acceptor_.get_executor(), [this] { Accept(); });
}

void Listener::Stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
  });
}

void Listener::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](const boost::system::error_code& ec,
                                                        asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      common::GetLogger("access")->error("event=accept_failed error=\"{}\"", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(200));
      retry_timer_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    const std::uint64_t id = next_conn_id_++;
    auto conn = std::make_shared<Connection>(std::move(socket), id, options_, logic_, registry_);
    registry_->Add(id, conn);
    conn->Start();
    Accept();
  });
}

}  // namespace im::access
