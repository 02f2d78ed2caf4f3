// im-hook-sink: a stand-in for an operator's webhook service, for benchmarks
// of im-logic's webhooks (scripts/bench.sh BENCH_HOOKS=...). Listens on
// --listen (default 127.0.0.1:7900) and answers every POST at once with 200
// and {"action":"allow"} (a verdict for before_send; after_send ignores the
// body). Keep-alive, one thread per connection. On SIGINT/SIGTERM it prints
// how many requests it answered, per path, and exits.

#include <signal.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::mutex counts_mutex;
std::map<std::string, long> counts;

void Serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) return;
    {
      std::lock_guard lock(counts_mutex);
      ++counts[std::string(request.target())];
    }
    http::response<http::string_body> response(http::status::ok, 11);
    response.set(http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = R"({"action":"allow"})";
    response.prepare_payload();
    http::write(socket, response, ec);
    if (ec || !response.keep_alive()) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:7900";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen = argv[++i];
    } else {
      std::fprintf(stderr, "usage: im-hook-sink [--listen HOST:PORT]\n");
      return 2;
    }
  }
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "im-hook-sink: --listen must be HOST:PORT\n");
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // threads below inherit it

  asio::io_context io;
  tcp::acceptor acceptor(io);
  try {
    tcp::endpoint at(asio::ip::make_address(listen.substr(0, colon)),
                     static_cast<unsigned short>(std::stoi(listen.substr(colon + 1))));
    acceptor.open(at.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "im-hook-sink: cannot listen on %s: %s\n", listen.c_str(), e.what());
    return 1;
  }
  std::thread accepting([&] {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec) return;
      std::thread(Serve, std::move(socket)).detach();
    }
  });
  std::fprintf(stderr, "im-hook-sink: listening on %s\n", listen.c_str());
  int signal = 0;
  sigwait(&stop_signals, &signal);
  beast::error_code ignored;
  acceptor.close(ignored);
  accepting.detach();  // the process ends here; connections end with it
  std::lock_guard lock(counts_mutex);
  for (const auto& [path, n] : counts) std::printf("im-hook-sink: %s %ld requests\n", path.c_str(), n);
  std::fflush(stdout);
  std::_Exit(0);
}
