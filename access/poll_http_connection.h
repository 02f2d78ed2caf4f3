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
// Requests may be pipelined (sent before the earlier ones are answered):
// up to kMaxPipelined POST PATH/request go to the session at once and are
// answered in the order sent, as HTTP/1.1 requires; a login, poll or close
// waits for the answers before it, and nothing after it is read until it is
// answered. A connection must send each request whole within
// request_timeout of the last answer (or of connecting), or it is closed;
// TLS as on the TCP port. Each connection counts against the node's
// connection caps (in all and per source address: ConnectionRegistry::
// Reserve) while open, besides the sessions it opens; past a cap it is
// answered 503 and closed.
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
#include <vector>

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
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  static constexpr std::size_t kMaxPipelined = 16;

  // `options` and `sessions` outlive the connection.
  PollHttpConnection(Socket socket, const PollEndpointOptions& options, PollSessions* sessions);
  void Start();

 private:
  enum class State { kHandshake, kOpen, kLingering, kClosed };

  // One request's HTTP answer, written in request order once it is ready.
  struct Slot {
    bool ready = false;
    bool exclusive = false;  // a login, poll or close: nothing after it is read until it is written
    std::string response;
    // Set when the answer carries frames a poll took: if it cannot be
    // written, that session ends.
    std::shared_ptr<PollMailbox> polled_from;
  };

  void Receive();  // one read at a time, while there is room for the bytes
  void OnBytes(const boost::system::error_code& ec, std::string_view bytes);
  // Handles the whole requests received, while the pipeline has room.
  void HandleRequests();
  // The next whole request in in_, or null (more bytes needed, or a
  // malformed request, which was answered and ends the connection).
  std::unique_ptr<Request> NextRequest();
  void Handle(const Request& request);
  void Login(Slot* slot, std::string frame, std::uint64_t req_id);
  void Submit(Slot* slot, const std::shared_ptr<PollMailbox>& mailbox, std::string frame,
              std::uint64_t req_id);
  void StartPoll(Slot* slot, std::shared_ptr<PollMailbox> mailbox);
  Slot* NewSlot(bool exclusive);
  // The answer to `slot`: its frames, or the error that took their place.
  void Answer(Slot* slot, absl::StatusOr<std::string> frames);
  void Respond(Slot* slot, Status status, std::string_view content_type, std::string body,
               std::string_view extra_headers = {});
  void Refuse(Slot* slot, Status status, std::string_view message,
              std::string_view extra_headers = {});
  void WriteReady();  // the ready answers at the front, in one write
  void OnWritten(const boost::system::error_code& ec);
  // After a last answer: stops sending and reads what the client still
  // sends (the rest of a body refused as too large) for a moment before
  // closing, so closing with unread bytes does not reset the connection
  // before the client read the answer.
  void Linger();
  void ArmDeadline(std::chrono::milliseconds after);
  void OnDeadline();
  void Close();
  // Runs `fn` on this connection's thread, unless it has closed by then.
  template <typename Fn>
  void OnOwnThread(Fn fn);

  ClientStream stream_;
  const PollEndpointOptions& options_;
  PollSessions* const sessions_;
  std::string peer_;
  ConnectionRegistry::Address peer_key_;
  boost::asio::steady_timer timer_;
  State state_ = State::kHandshake;
  bool reading_ = false;         // a read is outstanding
  bool last_request_ = false;    // no request after the one received last (Connection: close, or malformed)
  bool peer_done_ = false;       // the client shut down its side: answer what came, then close
  bool counted_ = false;         // reserved in the registry until Close
  std::string in_;               // received, not yet parsed
  std::unique_ptr<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::vector<std::unique_ptr<Slot>> slots_;  // answers owed, in request order (few: a vector)
  std::size_t writing_ = 0;                  // slots at the front being written
  std::vector<boost::asio::const_buffer> out_;
  std::unique_ptr<Request> deferred_;  // an exclusive request behind unanswered ones
  // The poll held (its slot, session and ticket), if any.
  Slot* poll_slot_ = nullptr;
  std::shared_ptr<PollMailbox> polling_;
  std::uint64_t poll_ticket_ = 0;
};

}  // namespace im::access
