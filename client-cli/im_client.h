#pragma once
// A blocking client of the IM protocol over one TCP (or TLS) connection, used by
// im-cli and by the integration tests. A reader thread decodes server frames:
// responses are matched to Call() by req_id; frames the server sends on its
// own (req_id 0: messages, kicks, the error before a close) become events.
// Thread-safe: Call, NextEvent and SendRaw may be used from different threads.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "client-cli/client_transport.h"
#include "client.pb.h"

namespace im::cli {

using std::chrono::milliseconds;

class ImClient {
 public:
  // Connects to the first of `addresses` (HOST:PORT, or several separated by
  // commas, tried in turn) that accepts. UNAVAILABLE "server unreachable at
  // A, B" if none does; INVALID_ARGUMENT for an address that is not HOST:PORT.
  // With `tls.enabled`, each connection must complete a TLS handshake
  // (certificate verified, see client_transport.h) within `timeout` too.
  // An address ws://HOST:PORT/PATH (wss:// for TLS) is a WebSocket port: the
  // connection is upgraded at PATH within `timeout` (websocket_transport.h)
  // and then carries the same frames.
  static absl::StatusOr<std::unique_ptr<ImClient>> Connect(
      const std::string& addresses, milliseconds timeout = milliseconds(5000),
      const TlsOptions& tls = {});
  static absl::StatusOr<std::unique_ptr<ImClient>> Connect(const std::string& addresses,
                                                           const TlsOptions& tls) {
    return Connect(addresses, milliseconds(5000), tls);
  }
  ~ImClient();
  ImClient(const ImClient&) = delete;
  ImClient& operator=(const ImClient&) = delete;

  // Sends `frame` (req_id is assigned) and waits for its response. Returns
  // the response frame whatever its status; UNAVAILABLE if the connection
  // closes first, DEADLINE_EXCEEDED after `timeout`.
  absl::StatusOr<client::ServerFrame> Call(client::ClientFrame frame,
                                           milliseconds timeout = milliseconds(10000));
  // Pipelines `frames` (req_ids are assigned): writes them all at once, in
  // order, then waits for every response; returns them in the same order.
  absl::StatusOr<std::vector<client::ServerFrame>> CallAll(
      std::vector<client::ClientFrame> frames, milliseconds timeout = milliseconds(10000));
  // Like Call, but a non-OK response status becomes the returned error.
  absl::StatusOr<client::ServerFrame> Request(client::ClientFrame frame,
                                              milliseconds timeout = milliseconds(10000));

  // The next server-initiated frame. DEADLINE_EXCEEDED if none arrives in
  // time; UNAVAILABLE once the connection is closed and no event is left.
  absl::StatusOr<client::ServerFrame> NextEvent(milliseconds timeout);

  // Called on the reader thread whenever an event is queued or the connection
  // closes (for select-style loops). Set before the traffic that needs it.
  void SetEventNotifier(std::function<void()> notify);

  // Writes raw bytes (tests of malformed input).
  absl::Status SendRaw(std::string_view bytes);
  // Sends a Ping every `interval` until destroyed; pongs are discarded.
  void StartHeartbeat(milliseconds interval);
  // The same at the pace the server asked for at login (a third of its idle
  // timeout), at most every 20 s.
  void StartHeartbeat();

  bool connected() const;
  // The error the server sent before closing, if any.
  absl::Status close_status() const;

  // Shorthands for the common requests; errors carry the server's status.
  absl::StatusOr<client::RegisterResponse> Register(const std::string& username,
                                                    const std::string& password);
  absl::StatusOr<client::LoginResponse> Login(const std::string& username,
                                              const std::string& password,
                                              const std::string& device_id = "");
  // With the token of an earlier login (bound to that login's device);
  // UNAUTHENTICATED once it expired or was revoked.
  absl::StatusOr<client::LoginResponse> LoginWithToken(const std::string& username,
                                                       const std::string& token,
                                                       const std::string& device_id);
  // Revokes a session of the logged-in user (`token`: its own, or another of
  // this user's); NOT_FOUND if there is no such session.
  absl::Status Logout(const std::string& token);
  absl::StatusOr<client::SendMessageResponse> SendText(const std::string& to_user,
                                                       const std::string& text,
                                                       const std::string& client_msg_id = "");
  // Sends a text message to a group; the same client id contract as SendText.
  absl::StatusOr<client::SendMessageResponse> SendGroupText(std::uint64_t group_id,
                                                            const std::string& text,
                                                            const std::string& client_msg_id = "");

 private:
  explicit ImClient(std::unique_ptr<ClientTransport> transport);
  absl::StatusOr<client::LoginResponse> LogIn(client::ClientFrame frame);  // either kind
  // Sends `frame`'s send_message with `text` and a client id.
  absl::StatusOr<client::SendMessageResponse> SendMessage(client::ClientFrame frame,
                                                          const std::string& text,
                                                          const std::string& client_msg_id);
  void ReadLoop();
  void HeartbeatLoop(milliseconds interval);

  const std::unique_ptr<ClientTransport> transport_;
  std::mutex write_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, client::ServerFrame> responses_;
  std::deque<client::ServerFrame> events_;
  std::function<void()> notify_;
  bool open_ = true;
  bool stopping_ = false;
  absl::Status close_status_;
  std::uint64_t next_req_id_ = 1;
  std::thread reader_;
  std::thread heartbeat_;
  milliseconds server_idle_timeout_{0};  // from the last login (0: not told)
};

// Connection-level helpers for im-cli and tests.
std::string NewClientMessageId();

}  // namespace im::cli
