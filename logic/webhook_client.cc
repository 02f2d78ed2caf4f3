#include "logic/webhook_client.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <optional>
#include <set>
#include <thread>

#include "common/str_cat.h"

namespace im::logic {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswerBytes = 1 << 20;

struct Call {
  std::string body;
  WebhookClient::Headers headers;
  WebhookClient::Done done;
  Clock::time_point deadline;
  common::InFlight::Guard guard;
  bool retried = false;  // once, after a reused connection turned out closed
};

// One HTTP connection; used by one call at a time.
struct Connection {
  explicit Connection(asio::io_context& io) : stream(io), resolver(io) {}
  beast::tcp_stream stream;
  tcp::resolver resolver;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  std::optional<http::response_parser<http::string_body>> parser;
  bool connected = false;
  bool reused = false;  // served a call before this one
};

}  // namespace

struct WebhookClient::Impl {
  Impl(Options o, Url u, common::InFlight* f)
      : options(std::move(o)), url(std::move(u)), in_flight(f) {}

  const Options options;
  const Url url;
  common::InFlight* const in_flight;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::atomic<std::size_t> pending{0};  // posts accepted and not yet done

  // On the io thread only.
  std::deque<std::unique_ptr<Call>> queue;
  std::vector<std::shared_ptr<Connection>> idle;
  std::set<std::shared_ptr<Connection>> busy;
  bool stopping = false;

  void Enqueue(std::unique_ptr<Call> call);
  void Pump();
  void Start(const std::shared_ptr<Connection>& conn, std::unique_ptr<Call> call);
  void Send(const std::shared_ptr<Connection>& conn, std::unique_ptr<Call> call);
  void Ended(const std::shared_ptr<Connection>& conn, std::unique_ptr<Call> call,
             beast::error_code ec, const char* step);
  void Finish(std::unique_ptr<Call> call, absl::StatusOr<Answer> result);
  void Stop();
};

absl::StatusOr<WebhookClient::Url> WebhookClient::ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return absl::InvalidArgumentError(common::StrCat(
        "webhook URL '", url, "': https is not supported; use http (a local proxy can add TLS)"));
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(
        common::StrCat("webhook URL '", url, "' must look like http://host:port/path"));
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url parsed;
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const std::size_t colon = authority.rfind(':');
  parsed.host = std::string(authority.substr(0, colon));
  parsed.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  const bool port_ok = !parsed.port.empty() && parsed.port.size() <= 5 &&
                       parsed.port.find_first_not_of("0123456789") == std::string::npos &&
                       std::stoi(parsed.port) > 0 && std::stoi(parsed.port) < 65536;
  if (parsed.host.empty() || !port_ok || parsed.host.find_first_of("@[] ") != std::string::npos) {
    return absl::InvalidArgumentError(
        common::StrCat("webhook URL '", url, "' must look like http://host:port/path"));
  }
  return parsed;
}

absl::StatusOr<std::unique_ptr<WebhookClient>> WebhookClient::Create(Options options,
                                                                     common::InFlight* in_flight) {
  auto url = ParseUrl(options.url);
  if (!url.ok()) return url.status();
  if (options.max_connections == 0) options.max_connections = 1;
  auto impl = std::make_unique<Impl>(std::move(options), std::move(*url), in_flight);
  impl->thread = std::thread([io = &impl->io] { io->run(); });
  return std::unique_ptr<WebhookClient>(new WebhookClient(std::move(impl)));
}

WebhookClient::WebhookClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookClient::~WebhookClient() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->Stop(); });
  impl_->work.reset();
  impl_->thread.join();
}

const WebhookClient::Options& WebhookClient::options() const { return impl_->options; }

void WebhookClient::Post(std::string body, Headers headers, Done done) {
  if (impl_->pending.fetch_add(1) >= impl_->options.max_pending) {
    impl_->pending.fetch_sub(1);
    return done(absl::ResourceExhaustedError(
        common::StrCat("more than ", impl_->options.max_pending, " webhook calls waiting")));
  }
  auto call = std::make_unique<Call>();
  call->body = std::move(body);
  call->headers = std::move(headers);
  call->done = std::move(done);
  call->deadline = Clock::now() + impl_->options.timeout;
  if (impl_->in_flight != nullptr) call->guard = impl_->in_flight->Enter();
  asio::post(impl_->io, [impl = impl_.get(), call = std::move(call)]() mutable {
    impl->Enqueue(std::move(call));
  });
}

void WebhookClient::Impl::Enqueue(std::unique_ptr<Call> call) {
  if (stopping) return Finish(std::move(call), absl::UnavailableError("im-logic is stopping"));
  queue.push_back(std::move(call));
  Pump();
}

void WebhookClient::Impl::Pump() {
  while (!queue.empty() && !stopping) {
    if (queue.front()->deadline <= Clock::now()) {
      auto late = std::move(queue.front());
      queue.pop_front();
      Finish(std::move(late), absl::DeadlineExceededError(common::StrCat(
                                  "the webhook did not answer within ",
                                  options.timeout.count(), " ms (all connections busy)")));
      continue;
    }
    std::shared_ptr<Connection> conn;
    if (!idle.empty()) {
      conn = std::move(idle.back());
      idle.pop_back();
    } else if (busy.size() < options.max_connections) {
      conn = std::make_shared<Connection>(io);
    } else {
      return;  // a connection that comes free pumps again
    }
    auto call = std::move(queue.front());
    queue.pop_front();
    Start(conn, std::move(call));
  }
}

void WebhookClient::Impl::Start(const std::shared_ptr<Connection>& conn,
                                std::unique_ptr<Call> call) {
  busy.insert(conn);
  conn->stream.expires_at(call->deadline);
  if (conn->connected) return Send(conn, std::move(call));
  conn->resolver.async_resolve(
      url.host, url.port,
      [this, conn, call = std::move(call)](beast::error_code ec,
                                           tcp::resolver::results_type results) mutable {
        if (ec) return Ended(conn, std::move(call), ec, "resolve");
        conn->stream.async_connect(
            results, [this, conn, call = std::move(call)](beast::error_code ec,
                                                          const tcp::endpoint&) mutable {
              if (ec) return Ended(conn, std::move(call), ec, "connect");
              conn->connected = true;
              Send(conn, std::move(call));
            });
      });
}

void WebhookClient::Impl::Send(const std::shared_ptr<Connection>& conn,
                               std::unique_ptr<Call> call) {
  auto& req = conn->request;
  req = {};
  req.method(http::verb::post);
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, common::StrCat(url.host, ":", url.port));
  req.set(http::field::user_agent, "im-logic");
  req.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : call->headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = call->body;
  req.prepare_payload();
  http::async_write(
      conn->stream, req,
      [this, conn, call = std::move(call)](beast::error_code ec, std::size_t) mutable {
        if (ec) return Ended(conn, std::move(call), ec, "send");
        conn->parser.emplace();
        conn->parser->body_limit(kMaxAnswerBytes);
        http::async_read(
            conn->stream, conn->buffer, *conn->parser,
            [this, conn, call = std::move(call)](beast::error_code ec, std::size_t) mutable {
              if (ec) return Ended(conn, std::move(call), ec, "read the answer");
              busy.erase(conn);
              auto response = conn->parser->release();
              Answer answer{response.result_int(), std::move(response.body())};
              if (response.keep_alive() && !stopping) {
                conn->reused = true;
                conn->stream.expires_never();
                idle.push_back(conn);
              }
              Finish(std::move(call), std::move(answer));
              Pump();
            });
      });
}

void WebhookClient::Impl::Ended(const std::shared_ptr<Connection>& conn,
                                std::unique_ptr<Call> call, beast::error_code ec,
                                const char* step) {
  busy.erase(conn);
  beast::error_code ignored;
  conn->stream.socket().close(ignored);
  const bool closed_while_idle = conn->reused && !call->retried && !stopping &&
                                 (ec == http::error::end_of_stream || ec == asio::error::eof ||
                                  ec == asio::error::connection_reset ||
                                  ec == asio::error::broken_pipe);
  if (closed_while_idle) {
    call->retried = true;
    queue.push_front(std::move(call));
  } else if (ec == beast::error::timeout) {
    Finish(std::move(call),
           absl::DeadlineExceededError(common::StrCat("the webhook did not answer within ",
                                                      options.timeout.count(), " ms")));
  } else {
    Finish(std::move(call), absl::UnavailableError(common::StrCat(
                                "webhook ", url.host, ":", url.port, ": could not ", step, ": ",
                                stopping ? "im-logic is stopping" : ec.message())));
  }
  Pump();
}

void WebhookClient::Impl::Finish(std::unique_ptr<Call> call, absl::StatusOr<Answer> result) {
  pending.fetch_sub(1);
  call->done(std::move(result));
}

void WebhookClient::Impl::Stop() {
  stopping = true;
  while (!queue.empty()) {
    auto call = std::move(queue.front());
    queue.pop_front();
    Finish(std::move(call), absl::UnavailableError("im-logic is stopping"));
  }
  beast::error_code ignored;
  for (const auto& conn : idle) conn->stream.socket().close(ignored);
  idle.clear();
  for (const auto& conn : busy) {  // their handlers end their calls
    conn->resolver.cancel();
    conn->stream.socket().close(ignored);
  }
}

}  // namespace im::logic
