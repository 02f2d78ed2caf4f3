#include "tests/support/hook_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <utility>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace im::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

struct HookServer::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::unique_ptr<tcp::acceptor> acceptor;  // io thread after start-up
  std::set<std::shared_ptr<beast::tcp_stream>> open;  // io thread

  mutable std::mutex mutex;
  mutable std::condition_variable arrived;
  Answer answer;
  std::vector<Request> requests;
  std::size_t connections = 0;

  // Ports below the kernel's ephemeral range (32768 and up): one Stop()
  // frees can then not be taken by an outgoing connection before Start().
  static constexpr int kFirstPort = 20000, kLastPort = 32000;
  bool Listen(int port);
  int ListenBelowEphemeralPorts();
  void Accept();
  void Serve(std::shared_ptr<beast::tcp_stream> stream);
  void Read(std::shared_ptr<beast::tcp_stream> stream, std::shared_ptr<beast::flat_buffer> buffer);
  void CloseAll();
};

bool HookServer::Impl::Listen(int port) {
  acceptor = std::make_unique<tcp::acceptor>(io);
  tcp::endpoint at(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  beast::error_code ec;
  acceptor->open(at.protocol(), ec);
  // The daemons a test starts must not inherit it (they would keep the port).
  if (!ec) ::fcntl(acceptor->native_handle(), F_SETFD, FD_CLOEXEC);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(at, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  return !ec;
}

int HookServer::Impl::ListenBelowEphemeralPorts() {
  std::random_device random;
  std::uniform_int_distribution<int> ports(kFirstPort, kLastPort);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = ports(random);
    if (Listen(port)) return port;
  }
  throw std::runtime_error("HookServer: no free port to listen on");
}

void HookServer::Impl::Accept() {
  acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed by Stop
    ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
    {
      std::lock_guard lock(mutex);
      ++connections;
    }
    Serve(std::make_shared<beast::tcp_stream>(std::move(socket)));
    Accept();
  });
}

void HookServer::Impl::Serve(std::shared_ptr<beast::tcp_stream> stream) {
  open.insert(stream);
  Read(std::move(stream), std::make_shared<beast::flat_buffer>());
}

void HookServer::Impl::Read(std::shared_ptr<beast::tcp_stream> stream,
                            std::shared_ptr<beast::flat_buffer> buffer) {
  auto request = std::make_shared<http::request<http::string_body>>();
  http::async_read(*stream, *buffer, *request, [=, this](beast::error_code ec, std::size_t) {
    if (ec) {
      open.erase(stream);
      return;
    }
    Request seen;
    seen.method = std::string(request->method_string());
    seen.target = std::string(request->target());
    for (const auto& field : *request) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      seen.headers[name] = std::string(field.value());
    }
    seen.body = request->body();
    Reply reply;
    {
      std::lock_guard lock(mutex);
      reply = answer(seen);
      requests.push_back(std::move(seen));
    }
    arrived.notify_all();
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(reply.status), 11);
    response->set(http::field::content_type, "application/json");
    response->keep_alive(!reply.close);
    response->body() = reply.body;
    response->prepare_payload();
    auto timer = std::make_shared<asio::steady_timer>(io, reply.delay);
    timer->async_wait([=, this](beast::error_code) {
      http::async_write(*stream, *response,
                        [=, this](beast::error_code ec, std::size_t) {
                          (void)timer;
                          if (ec || !response->keep_alive()) {
                            beast::error_code ignored;
                            stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
                            stream->close();
                            open.erase(stream);
                            return;
                          }
                          Read(stream, buffer);
                        });
    });
  });
}

void HookServer::Impl::CloseAll() {
  beast::error_code ignored;
  if (acceptor) acceptor->close(ignored);
  for (const auto& stream : open) {
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
  }
  open.clear();
}

HookServer::HookServer(Answer answer) : impl_(std::make_unique<Impl>()) {
  impl_->answer = std::move(answer);
  port_ = impl_->ListenBelowEphemeralPorts();
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

HookServer::~HookServer() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->CloseAll(); });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

std::string HookServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HookServer::SetAnswer(Answer answer) {
  std::lock_guard lock(impl_->mutex);
  impl_->answer = std::move(answer);
}

std::vector<HookServer::Request> HookServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

bool HookServer::WaitForRequests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->arrived.wait_for(lock, timeout, [&] { return impl_->requests.size() >= count; });
}

std::size_t HookServer::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

void HookServer::Stop() {
  std::promise<void> done;
  asio::post(impl_->io, [&] {
    impl_->CloseAll();
    done.set_value();
  });
  done.get_future().wait();
}

void HookServer::Start() {
  std::promise<void> done;
  bool listening = false;
  asio::post(impl_->io, [&] {
    listening = impl_->Listen(port_);
    if (listening) impl_->Accept();
    done.set_value();
  });
  done.get_future().wait();
  if (!listening) ADD_FAILURE() << "HookServer: port " << port_ << " was taken while stopped";
}

}  // namespace im::testing
