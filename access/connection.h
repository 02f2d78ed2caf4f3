#pragma once
// One client connection (TCP, TLS over TCP, WebSocket, or an HTTP long-poll
// session: access/client_stream.h): reads frames, answers Ping,
// forwards every other request to logic with this connection's session context, binds the session
// when logic answers a login, and writes responses and pushed frames.
//
// Threading: every member function except the public ones runs on the
// thread of the connection's io_context (access/io_pool.h: one thread per
// context, so no strand is needed); the public ones may be called from any
// thread and post to it. The object stays alive exactly while an Asio operation or a logic
// call holds a shared_ptr to it.
//
// Limits: frames over max_login_frame_bytes before the connection is bound to
// a session (max_frame_bytes after), unparsable frames -> error frame, close.
// No login within login_timeout or silence for idle_timeout -> close: the
// connection keeps its next deadline in an atomic that one DeadlineSweeper per
// process checks (no timer per connection). Unsent output over
// max_queued_bytes (the client does not read) -> what waits unsent is
// dropped, a Kick (reconnect) is queued, and the connection closes after it
// or after a flush grace. Reads past max_bytes_per_second (a second's worth
// at once) pause the connection's reading until it is back within the rate.
// Logins pass the node's LoginAdmission first (refused UNAVAILABLE with a
// retry-after hint when over its pace). Requests are pipelined: up to
// max_pending_requests await logic at once, 4 before login (more are refused
// RESOURCE_EXHAUSTED, saying so); requests that arrive while a
// login is in flight wait for it and go on with its session, in order. Acks
// that arrive while one is with logic are merged (the highest seq per
// conversation) and sent as one when it returns; each is answered with the
// merged one's result, so an ack is still answered only once it is durable.
// A TLS connection must finish its handshake within handshake_timeout, or is
// closed without a word.
// An idle plain-TCP connection owns no read buffer (it waits for readability,
// then reads into a per-thread buffer), no write buffer and no timer: about
// what the socket, one pending wait and this object cost.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "access/client_stream.h"
#include "access/web_pages.h"
#include "client.pb.h"
#include "common/frame_codec.h"
#include "common/metrics.h"
#include "logic.pb.h"

namespace im::access {

class ConnectionRegistry;
class RequestGateway;
class LoginAdmission;

// Traffic of every connection of the process, in metrics:
// im_access_frames_total and im_access_bytes_total by direction (in: read
// from clients; out: written to them).
struct ConnectionCounters {
  explicit ConnectionCounters(common::Metrics* metrics);
  common::MetricCounter& frames_in;
  common::MetricCounter& frames_out;
  common::MetricCounter& bytes_in;
  common::MetricCounter& bytes_out;
  common::MetricCounter& slow_consumers_cut;  // over max_queued_bytes, kicked
  common::MetricCounter& reads_paused;        // over max_bytes_per_second
};

struct ConnectionOptions {
  std::string node_id;
  std::string push_endpoint;
  std::size_t max_frame_bytes;
  std::size_t max_login_frame_bytes;  // before the connection is bound to a session
  std::chrono::milliseconds login_timeout;
  std::chrono::milliseconds idle_timeout;
  std::size_t max_queued_bytes;
  std::size_t max_pending_requests;
  ConnectionCounters* counters;  // outlives every connection
  // Null: plain TCP. Otherwise every connection is TLS; outlives them all.
  boost::asio::ssl::context* tls = nullptr;
  std::chrono::milliseconds handshake_timeout{5000};
  // Bytes a connection may send per second, in bursts of up to a second's
  // worth; past it the connection is not read until it is back within (TCP
  // then slows the client down). 0: no limit.
  std::size_t max_bytes_per_second = 0;
  // Empty: frames straight on the stream. Otherwise the client speaks
  // WebSocket, upgrading at this path (see client_stream.h).
  std::string websocket_path;
  // With websocket_path: the web client's files, served on the same port
  // (null: none). Outlives every connection.
  const WebPages* web_pages = nullptr;
};

// What a login bound the connection to (user_id 0 until then).
struct BoundSession {
  std::uint64_t user_id = 0;
  std::uint64_t route_epoch = 0;
  std::string username;
  std::string device_id;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = ClientStream::Socket;

  Connection(Socket socket, std::uint64_t conn_id, const ConnectionOptions& options,
             RequestGateway* logic, ConnectionRegistry* registry, LoginAdmission* admission);
  // A long-poll session's connection: no socket; its client's HTTP requests
  // feed and drain `mailbox` (access/poll_mailbox.h). `peer_address`: the
  // client's IP, as a socket would tell it.
  Connection(std::shared_ptr<PollMailbox> mailbox, std::string peer_address, std::uint64_t conn_id,
             const ConnectionOptions& options, RequestGateway* logic,
             ConnectionRegistry* registry, LoginAdmission* admission);

  std::uint64_t id() const { return conn_id_; }

  void Start();
  // Instead of Start: sends one error frame with `status`, then closes (TLS:
  // closes at once, before any handshake).
  void Refuse(absl::Status status);
  // When the connection next needs attention (steady clock, ms since its
  // epoch): its login, idle or flush deadline. Read from any thread.
  std::int64_t deadline_ms() const { return deadline_ms_.load(std::memory_order_relaxed); }
  // Checks the deadlines on the connection's thread and closes the connection if one passed.
  void CheckDeadline();
  static std::int64_t SteadyNowMs();
  // Writes `frame` if this connection is bound to `user_id`.
  void Deliver(std::uint64_t user_id, std::string encoded_frame);
  // Sends a Kick frame if bound to `user_id` (0: whoever), then closes.
  // `reconnect`: the node is draining, the client should come back.
  void Kick(std::uint64_t user_id, std::string reason, bool reconnect = false);
  // Calls `fn` on the connection's thread with its session (user_id 0 if
  // it is not logged in, or closing).
  void ReadSession(std::function<void(std::uint64_t conn_id, const BoundSession&)> fn);
  // A route registered late for this connection (its login came while Redis
  // was down, so its session has route epoch 0): on the connection's thread
  // the session takes `epoch`, or, if the connection is closing or no longer
  // that user's, the route is removed again (SessionClosed to logic).
  void AdoptRouteEpoch(std::uint64_t user_id, const std::string& device_id, std::uint64_t epoch);

 private:
  // Runs `then` once the stream may carry frames (TLS: after the handshake).
  void Begin(std::function<void()> then);
  void WaitReadable();
  // After `n` bytes were read: how long to wait before reading again, to
  // keep within max_bytes_per_second (zero: read on at once).
  std::chrono::microseconds ReadPause(std::size_t n);
  void PauseReading(std::chrono::microseconds pause);
  void OnReadable(const boost::system::error_code& ec, std::string_view bytes);
  void HandleBody(std::string_view body);
  void OnBadFrame(const absl::Status& status);  // error frame, close
  void Forward(client::ClientFrame frame);
  using OnReply = std::function<void(absl::StatusOr<internal::HandleResponse>)>;
  // Sends `frame` to logic with this connection's session; `on_reply` runs on the connection's
  // thread.
  void ToLogic(client::ClientFrame frame, OnReply on_reply);
  void Send(client::ClientFrame frame);  // to logic, counted in pending_requests_
  void ReleaseHeld();                    // after a login's answer
  void ForwardAck(client::ClientFrame frame);
  // Sends `frame` (acks) to logic and answers every request in `req_ids` with its result.
  void SendAcks(std::vector<std::uint64_t> req_ids, client::ClientFrame frame);
  void OnAcksReply(const std::vector<std::uint64_t>& req_ids,
                   absl::StatusOr<internal::HandleResponse> reply);
  void OnLogicReply(std::uint64_t req_id, absl::StatusOr<internal::HandleResponse> reply);
  void Respond(std::uint64_t req_id, const absl::Status& status);

  void Write(const client::ServerFrame& frame);
  void QueueEncoded(std::string encoded);
  // Over max_queued_bytes: drops unsent frames, kicks with a reason, closes.
  void CutSlowConsumer();
  void WriteNext();  // writes everything queued, in one gather write
  void OnWritten(const boost::system::error_code& ec);

  void UpdateDeadline();  // after a read or a change of state
  void OnDeadline();

  // Sends a last frame with `status` (req_id 0), then closes.
  void FailAndClose(const absl::Status& status);
  void CloseAfterFlush();
  void Close(std::string_view reason);
  internal::SessionContext Session() const;

  ClientStream stream_;
  const std::uint64_t conn_id_;
  std::string peer_address_;  // the client's IP, sent with requests before login
  const ConnectionOptions& options_;
  RequestGateway* logic_;
  ConnectionRegistry* registry_;
  LoginAdmission* admission_;

  // Only while a frame is partly received.
  std::unique_ptr<common::FrameDecoder> decoder_;
  // Only while there is something to write.
  struct Output {
    std::vector<std::string> queued;   // frames waiting for the write in progress
    std::vector<std::string> writing;  // frames of the write in progress
    std::size_t bytes = 0;             // in both
  };
  std::unique_ptr<Output> output_;
  bool closing_ = false;  // no more reads; close once the queue is flushed
  bool closed_ = false;
  bool handshake_done_ = false;  // plain TCP: once Begin ran
  bool login_in_flight_ = false;
  bool warned_in_flight_ = false;  // the first refusal is logged
  bool ack_in_flight_ = false;
  std::uint32_t pending_requests_ = 0;
  std::int64_t started_ms_ = 0;         // steady clock
  std::int64_t last_read_ms_ = 0;       // steady clock
  std::int64_t flush_deadline_ms_ = 0;  // while closing_
  std::atomic<std::int64_t> deadline_ms_{0};
  // max_bytes_per_second as a GCRA: when the bytes read so far would have
  // been paid for at that rate (steady clock, us). One integer per
  // connection; the timer exists only once a connection was paused.
  std::int64_t read_paid_until_us_ = 0;
  std::unique_ptr<boost::asio::steady_timer> read_pause_;

  BoundSession session_;
  std::vector<client::ClientFrame> held_;  // behind the login in flight
  struct QueuedAcks {
    std::map<std::uint64_t, std::uint64_t> latest;  // conv_id -> highest seq
    std::vector<std::uint64_t> req_ids;             // the requests merged
  };
  std::unique_ptr<QueuedAcks> queued_acks_;  // behind the ack in flight
};

}  // namespace im::access
