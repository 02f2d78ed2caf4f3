#pragma once
// A WebSocket client of im-access for tests, as a browser speaks to it: an
// HTTP upgrade at a path, then one binary message per frame (a ClientFrame
// out, a ServerFrame in, no length prefix). Blocking, one thread; every wait
// is bounded. Not thread-safe.

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client.pb.h"

namespace im::testing {

class WebSocketClient {
 public:
  // Connects to 127.0.0.1:`port` and upgrades at `path`; over TLS (wss),
  // trusting the CA in `tls_ca_file`, when that is given.
  static absl::StatusOr<std::unique_ptr<WebSocketClient>> Connect(
      int port, const std::string& path, const std::string& tls_ca_file = "");
  ~WebSocketClient();

  absl::Status Send(const client::ClientFrame& frame);
  // Sends raw bytes as one binary message (for malformed and oversized input).
  absl::Status SendBytes(const std::string& bytes);
  // The next frame; DEADLINE_EXCEEDED after `timeout` (the connection is then
  // unusable), UNAVAILABLE once the server closed it.
  absl::StatusOr<client::ServerFrame> Receive(std::chrono::milliseconds timeout);
  // Sends `frame` with a new req_id and waits for the answer carrying it;
  // frames that arrive before it (pushes) are dropped.
  absl::StatusOr<client::ServerFrame> Call(client::ClientFrame frame,
                                           std::chrono::milliseconds timeout);

 private:
  struct State;
  explicit WebSocketClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::uint64_t next_req_id_ = 1;
};

}  // namespace im::testing
