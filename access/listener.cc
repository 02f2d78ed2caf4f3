#include "access/listener.h"

#include "access/connection_registry.h"
#include "common/clock.h"
#include "common/logging.h"

namespace im::access {
namespace asio = boost::asio;

Listener::Listener(IoPool& pool, const asio::ip::tcp::endpoint& endpoint,
                   const ConnectionOptions& options, RequestGateway* logic,
                   ConnectionRegistry* registry, LoginAdmission* admission)
    : pool_(pool),
      acceptor_(pool.first(), endpoint, /*reuse_address=*/true),
      retry_timer_(pool.first()),
      options_(options),
      logic_(logic),
      registry_(registry),
      admission_(admission),
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
  acceptor_.async_accept(
      pool_.Next(), [this](const boost::system::error_code& ec, Connection::Socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) {
          common::GetLogger("access")->error("event=accept_failed error=\"{}\"", ec.message());
          retry_timer_.expires_after(std::chrono::milliseconds(200));
          retry_timer_.async_wait([this](const boost::system::error_code& wait_ec) {
            if (!wait_ec) Accept();
          });
          return;
        }
        boost::system::error_code peer_ec;
        const auto peer = socket.remote_endpoint(peer_ec).address();
        const std::uint64_t id = next_conn_id_++;
        auto conn = std::make_shared<Connection>(std::move(socket), id, options_, logic_, registry_,
                                                 admission_);
        if (absl::Status admitted = registry_->Add(id, conn, AddressKey(peer)); !admitted.ok()) {
          conn->Refuse(std::move(admitted));
        } else {
          conn->Start();
        }
        Accept();
      });
}

ConnectionRegistry::Address Listener::AddressKey(const asio::ip::address& address) {
  if (address.is_v6()) return address.to_v6().to_bytes();
  return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
}

}  // namespace im::access
