#include "common/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common/str_cat.h"

namespace im::common {
namespace {

constexpr std::size_t kMaxRequestBytes = 8192;

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string Response(std::string_view status, std::string_view type, std::string_view body) {
  return StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", type,
                "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

absl::Status MetricsServer::Start(const std::string& listen) {
  if (listen.empty()) return absl::OkStatus();
  const std::size_t colon = listen.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  int port = 0;
  if (colon == std::string::npos ||
      inet_pton(AF_INET, listen.substr(0, colon).c_str(), &address.sin_addr) != 1 ||
      (port = std::atoi(listen.c_str() + colon + 1)) <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        StrCat("metrics_listen \"", listen, "\" is not IPv4 host:port"));
  }
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (listener_ < 0 ||
      ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 16) != 0) {
    const std::string why = std::strerror(errno);
    if (listener_ >= 0) ::close(listener_);
    listener_ = -1;
    return absl::UnavailableError(StrCat("cannot serve metrics on ", listen, ": ", why));
  }
  thread_ = std::thread([this] { Serve(); });
  return absl::OkStatus();
}

void MetricsServer::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) ::close(listener_);
  listener_ = -1;
}

void MetricsServer::Serve() {
  while (!stopping_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, 200) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    Answer(client);
    ::close(client);
  }
}

void MetricsServer::Answer(int client) {
  const timeval deadline{2, 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &deadline, sizeof deadline);
  std::string request;
  char buffer[1024];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) return;  // closed, or silent past the deadline
    request.append(buffer, static_cast<std::size_t>(n));
  }
  const std::string_view line = std::string_view(request).substr(0, request.find("\r\n"));
  if (line.rfind("GET ", 0) != 0 || line.find(" HTTP/1.") == std::string_view::npos) {
    return WriteAll(client, Response("400 Bad Request", "text/plain", "GET /metrics\n"));
  }
  const std::string_view path = line.substr(4, line.find(' ', 4) - 4);
  if (path == "/metrics") {
    return WriteAll(client, Response("200 OK", "text/plain; version=0.0.4", metrics_->Render()));
  }
  if (path == "/healthz" && health_) {
    const absl::Status health = health_();
    return WriteAll(client, health.ok() ? Response("200 OK", "text/plain", "serving\n")
                                        : Response("503 Service Unavailable", "text/plain",
                                                   StrCat("not serving: ", health.message(), "\n")));
  }
  WriteAll(client, Response("404 Not Found", "text/plain", "GET /metrics or /healthz\n"));
}

}  // namespace im::common
