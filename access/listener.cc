#include "access/listener.h"

#include "access/connection_registry.h"
#include "common/logging.h"

namespace im::access {
namespace asio = boost::asio;

Listener::Listener(IoPool& pool, const asio::ip::tcp::endpoint& endpoint, OnAccept on_accept)
    : pool_(pool),
      acceptor_(pool.first(), endpoint, /*reuse_address=*/true),
      retry_timer_(pool.first()),
      on_accept_(std::move(on_accept)) {}

Listener::OnAccept Listener::ClientConnections(const ConnectionOptions& options,
                                               RequestGateway* logic, ConnectionRegistry* registry,
                                               LoginAdmission* admission) {
  return [&options, logic, registry, admission](Connection::Socket socket) {
    const ConnectionRegistry::Address peer = PeerKey(socket);
    const std::uint64_t id = registry->NewConnectionId();
    auto conn =
        std::make_shared<Connection>(std::move(socket), id, options, logic, registry, admission);
    if (absl::Status admitted = registry->Add(id, conn, peer); !admitted.ok()) {
      conn->Refuse(std::move(admitted));
    } else {
      conn->Start();
    }
  };
}

ConnectionRegistry::Address Listener::PeerKey(const Connection::Socket& socket) {
  boost::system::error_code ec;
  return ConnectionRegistry::KeyOf(socket.remote_endpoint(ec).address());
}

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
        on_accept_(std::move(socket));
        Accept();
      });
}

}  // namespace im::access
