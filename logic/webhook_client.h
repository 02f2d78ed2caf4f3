#pragma once
// WebhookClient posts JSON to one operator URL (http://host[:port]/path) over
// HTTP/1.1, for the before_send hook and the after_send outbox.
//
// - It runs its own thread and io_context; `done` runs there (or at once on
//   the caller's thread when a post is refused) and must not block.
// - Connections are kept alive and reused, at most `max_connections` at once.
//   A reused connection that the server had closed meanwhile is retried once
//   on a new one.
// - A post must be answered within `timeout` of being made; waiting for a
//   free connection counts. Then it ends DEADLINE_EXCEEDED.
// - At most `max_pending` posts wait or run at once; one more is refused at
//   once with RESOURCE_EXHAUSTED, so a slow hook costs bounded memory.
// - Any HTTP status is an answer (the caller judges it); a connection or
//   protocol failure is UNAVAILABLE.
// - Every post holds an InFlight guard until its `done` has run, so a
//   daemon's shutdown waits for it (common/in_flight.h).
// Thread-safe. Destroying it answers what is left UNAVAILABLE and joins its
// thread; it must not be destroyed from a `done`.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/in_flight.h"

namespace im::logic {

class WebhookClient {
 public:
  struct Options {
    std::string url;
    std::chrono::milliseconds timeout{1000};
    std::size_t max_connections = 8;
    std::size_t max_pending = 1000;
  };
  struct Answer {
    unsigned status = 0;  // the HTTP status
    std::string body;
  };
  using Done = std::function<void(absl::StatusOr<Answer>)>;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Where a URL points. Only http: run an https hook behind a local proxy.
  struct Url {
    std::string host;
    std::string port;
    std::string target;  // path and query
  };
  static absl::StatusOr<Url> ParseUrl(std::string_view url);

  // Fails on a URL ParseUrl refuses. `in_flight` may be null.
  static absl::StatusOr<std::unique_ptr<WebhookClient>> Create(Options options,
                                                               common::InFlight* in_flight);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // POSTs `body` (Content-Type: application/json) with `headers`.
  void Post(std::string body, Headers headers, Done done);

  const Options& options() const;

 private:
  struct Impl;
  explicit WebhookClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace im::logic
