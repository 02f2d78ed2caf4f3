#pragma once
// One client TCP connection: reads frames, answers Ping, forwards every other
// request to logic with this connection's session context, binds the session
// when logic answers a login, and writes responses and pushed frames.
//
// Threading: every member function except the public ones runs on the
// connection's strand; the public ones may be called from any thread and post
// to it. The object stays alive exactly while an Asio operation or a logic
// call holds a shared_ptr to it.
//
// Limits: frames over max_frame_bytes, unparsable frames -> error frame, close.
// No login within login_timeout or silence for idle_timeout -> close.
// Unsent output over max_queued_bytes (the client does not read) -> close.
// Requests are pipelined: up to max_pending_requests await logic at once (more
// are refused RESOURCE_EXHAUSTED, saying so); requests that arrive while a
// login is in flight wait for it and go on with its session, in order. Acks
// that arrive while one is with logic are merged (the highest seq per
// conversation) and sent as one when it returns; each is answered with the
// merged one's result, so an ack is still answered only once it is durable.
// An idle connection owns no read buffer (it waits for readability, then
// reads into a per-thread buffer).

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client.pb.h"
#include "common/frame_codec.h"
#include "logic.pb.h"

namespace im::access {

class ConnectionRegistry;
class LogicClient;

struct ConnectionOptions {
  std::string node_id;
  std::string push_endpoint;
  std::size_t max_frame_bytes;
  std::chrono::milliseconds login_timeout;
  std::chrono::milliseconds idle_timeout;
  std::size_t max_queued_bytes;
  std::size_t max_pending_requests;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, std::uint64_t conn_id,
             const ConnectionOptions& options, LogicClient* logic, ConnectionRegistry* registry);

  std::uint64_t id() const { return conn_id_; }

  void Start();
  // Writes `frame` if this connection is bound to `user_id`.
  void Deliver(std::uint64_t user_id, std::string encoded_frame);
  // Sends a Kick frame if bound to `user_id` (0: whoever), then closes.
  void Kick(std::uint64_t user_id, std::string reason);

 private:
  using Clock = std::chrono::steady_clock;

  void WaitReadable();
  void OnReadable(const boost::system::error_code& ec);
  void HandleBody(std::string_view body);
  void Forward(client::ClientFrame frame);
  using OnReply = std::function<void(absl::StatusOr<internal::HandleResponse>)>;
  // Sends `frame` to logic with this connection's session; `on_reply` runs on the strand.
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
  void WriteNext();
  void OnWritten(const boost::system::error_code& ec);

  void ArmTimer();
  void OnTimer(const boost::system::error_code& ec);

  // Sends a last frame with `status` (req_id 0), then closes.
  void FailAndClose(const absl::Status& status);
  void CloseAfterFlush();
  void Close(std::string_view reason);
  internal::SessionContext Session() const;

  boost::asio::ip::tcp::socket socket_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  const std::uint64_t conn_id_;
  const ConnectionOptions& options_;
  LogicClient* logic_;
  ConnectionRegistry* registry_;

  common::FrameDecoder decoder_;
  std::deque<std::string> write_queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;  // no more reads; close once the queue is flushed
  bool closed_ = false;
  std::size_t pending_requests_ = 0;
  Clock::time_point started_;
  Clock::time_point last_read_;

  internal::SessionBinding session_;  // user_id 0 until login
  bool login_in_flight_ = false;
  bool warned_in_flight_ = false;            // the first refusal is logged
  std::vector<client::ClientFrame> held_;    // behind the login in flight
  struct QueuedAcks {
    std::map<std::uint64_t, std::uint64_t> latest;  // conv_id -> highest seq
    std::vector<std::uint64_t> req_ids;             // the requests merged
  };
  bool ack_in_flight_ = false;
  std::unique_ptr<QueuedAcks> queued_acks_;  // behind the ack in flight
};

}  // namespace im::access
