// im-health: asks a daemon whether it is serving, for container health checks
// and operators. GETs /healthz from the daemon's metrics port (metrics_listen)
// and prints the answer. Exit 0: serving; 1: not serving or no answer within
// the timeout; 2: usage.
//   im-health [--timeout-ms N] HOST:PORT      (HOST an IPv4 address)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int Usage() {
  std::fprintf(stderr, "usage: im-health [--timeout-ms N] HOST:PORT\n");
  return 2;
}

// Waits until `fd` is ready for `events` or `deadline` passes.
bool WaitReady(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

}  // namespace

int main(int argc, char** argv) {
  long timeout_ms = 2000;
  std::string target;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--timeout-ms" && i + 1 < argc) {
      timeout_ms = std::strtol(argv[++i], nullptr, 10);
    } else if (target.empty() && arg[0] != '-') {
      target = arg;
    } else {
      return Usage();
    }
  }
  const std::size_t colon = target.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  const int port = colon == std::string::npos ? 0 : std::atoi(target.c_str() + colon + 1);
  if (timeout_ms <= 0 || port <= 0 || port > 65535 ||
      inet_pton(AF_INET, target.substr(0, colon).c_str(), &address.sin_addr) != 1) {
    return Usage();
  }
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    std::printf("%s: %s\n", target.c_str(), std::strerror(errno));
    return 1;
  }
  int error = 0;
  socklen_t length = sizeof error;
  if (!WaitReady(fd, POLLOUT, deadline) ||
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
    std::printf("%s: %s\n", target.c_str(), error ? std::strerror(error) : "no answer");
    return 1;
  }
  const std::string request = "GET /healthz HTTP/1.0\r\nHost: im-health\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return 1;
  }
  std::string response;
  char buffer[1024];
  while (response.size() < 16384 && WaitReady(fd, POLLIN, deadline)) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const std::size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) {
    std::printf("%s: no answer\n", target.c_str());
    return 1;
  }
  std::fputs(response.c_str() + body + 4, stdout);
  return response.rfind("HTTP/1.1 200 ", 0) == 0 || response.rfind("HTTP/1.0 200 ", 0) == 0 ? 0
                                                                                            : 1;
}
