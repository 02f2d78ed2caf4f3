#pragma once
// One HTTP/1.1 connection on the long-poll port: the transport for clients
// that can open neither a TCP connection nor a WebSocket. Each request is
// answered in turn (keep-alive); a session spans requests and connections,
// named by its token (access/poll_sessions.h).
//
//   POST PATH/login    body: one ClientFrame (a login or register, req_id
//                      set). Starts a session and answers with the frame that
//                      answers it; a login answered with a token keeps the
//                      session open under that token, anything else ends it.
//   POST PATH/request  Authorization: Bearer TOKEN; body: one ClientFrame
//                      (req_id set, unique among the requests in flight).
//                      Answers with the frame that answers it.
//   GET  PATH/events   Authorization: Bearer TOKEN. Held until frames arrive
//                      for the session (pushes, kicks), or poll_timeout
//                      passes; answers with all that waited (none on timeout).
//                      Deliveries are acked with Ack requests, as on TCP.
//   POST PATH/close    Authorization: Bearer TOKEN. Ends the session (the
//                      device goes offline); 204.
//
// Frames travel as on TCP: each with its 4-byte big-endian length in front
// (Content-Type: application/octet-stream); a request body is one
// ClientFrame without it. Errors are plain text with a status: 400 (not a
// frame, no req_id), 401 (no token, or no session here with it: log in
// again), 404, 405, 409 (req_id in flight), 410 (the session ended), 413
// (body over max_body_bytes), 429 (too many requests waiting), 431, 503
// (the node's connection caps). A client that stops polling is closed at
// the idle timeout like a silent TCP client.
//
// A connection must send each request whole within request_timeout of the
// last answer (or of connecting), or it is closed; TLS as on the TCP port.
// Each connection counts against the node's connection caps (in all and per
// source address: ConnectionRegistry::Reserve) while open, besides the
// sessions it opens; past a cap it is answered 503 and closed.
// While a poll is held the connection is still read, so a client that goes
// away ends its poll at once and the frames stay for its next poll. Frames
// handed to a poll that could not be written end the session (the client
// logs in again and syncs, as after a lost TCP connection).
// Threading: runs on its socket's io_context; mailbox answers are posted back.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "access/client_stream.h"
#include "access/connection_registry.h"
#include "access/poll_sessions.h"

namespace im::access {

struct PollEndpointOptions {
  std::string path = "/poll";
  std::chrono::milliseconds poll_timeout{25000};
  std::chrono::milliseconds request_timeout{30000};
  std::size_t max_body_bytes = 1 << 20;
  boost::asio::ssl::context* tls = nullptr;  // null: plain HTTP; outlives every connection
  std::chrono::milliseconds handshake_timeout{5000};
};

class PollHttpConnection : public std::enable_shared_from_this<PollHttpConnection> {
 public:
  using Socket = ClientStream::Socket;
  using Status = boost::beast::http::status;

  // `options` and `sessions` outlive the connection.
  PollHttpConnection(Socket socket, const PollEndpointOptions& options, PollSessions* sessions);
  void Start();

 private:
  enum class State { kHandshake, kReading, kAnswering, kPolling, kWriting, kLingering, kClosed };

  void Receive();  // one read at a time
  void OnBytes(const boost::system::error_code& ec, std::string_view bytes);
  void ParseRequest();  // in kReading: a whole request in in_ is handled
  void Handle(const boost::beast::http::request<boost::beast::http::string_body>& request);
  void Login(std::string frame, std::uint64_t req_id);
  void Submit(const std::shared_ptr<PollMailbox>& mailbox, std::string frame,
              std::uint64_t req_id);
  void StartPoll(std::shared_ptr<PollMailbox> mailbox);
  void OnAnswer(absl::StatusOr<std::string> frames);
  // Writes an answer; then the next request is read (or, !keep_alive_, the
  // connection closes).
  void Respond(Status status, std::string_view content_type, std::string body,
               std::string_view extra_headers = {});
  void Refuse(Status status, std::string_view message, std::string_view extra_headers = {});
  void OnWritten(const boost::system::error_code& ec);
  // After a last answer: stops sending and reads what the client still
  // sends (the rest of a body refused as too large) for a moment before
  // closing, so closing with unread bytes does not reset the connection
  // before the client read the answer.
  void Linger();
  void ArmDeadline(std::chrono::milliseconds after);
  void OnDeadline();
  void Close();
  // Posts `fn` to this connection's thread, keeping it alive.
  template <typename Fn>
  void OnOwnThread(Fn fn);

  ClientStream stream_;
  const PollEndpointOptions& options_;
  PollSessions* const sessions_;
  std::string peer_;
  ConnectionRegistry::Address peer_key_;
  boost::asio::steady_timer timer_;
  State state_ = State::kHandshake;
  bool reading_ = false;     // a read is outstanding
  bool keep_alive_ = true;   // of the request being answered
  std::string in_;           // received, not yet parsed
  std::string out_;          // the answer being written
  std::shared_ptr<PollMailbox> polling_;  // while a poll is held
  std::uint64_t poll_ticket_ = 0;
  bool poll_has_frames_ = false;  // the answer being written carries polled frames
  bool counted_ = false;          // reserved in the registry until Close
};

}  // namespace im::access
