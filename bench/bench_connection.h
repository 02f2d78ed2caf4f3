#pragma once
// One client connection of the load generator: the real framing
// (common/frame_codec; or WebSocket, common/websocket_codec, when the server
// address names a WebSocket path; or HTTP long-poll requests, when it names
// a long-poll path) and protocol over a non-blocking
// socket driven by an
// io_context that exactly one thread runs, so no strand or lock is needed.
// Calls are matched to responses by req_id; frames the server sends on its
// own (req_id 0) go to the event handler. Writes are coalesced: whatever is
// queued while a write is in flight leaves in the next one. An idle
// connection holds no read buffer (it waits for readability, then reads into
// a per-thread buffer), so tens of thousands fit in one process.
//
// Threading: every member function must be called on the io_context's thread.
// Lifetime: the object stays alive while an operation holds a shared_ptr to
// it; Close() (or a lost connection) answers every pending call with status
// UNAVAILABLE and then calls the close handler, once.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client.pb.h"
#include "common/websocket_codec.h"
#include "common/frame_codec.h"

namespace im::bench {

// Where a connection goes: an access node's framed-TCP client port, or, with
// `websocket_path` set, its WebSocket port (the connection upgrades at that
// path first, then carries one frame per binary message), or, with
// `poll_path` set, its HTTP long-poll port (each frame is a POST, pipelined
// on one socket, answered in order; once logged in, a second socket holds
// GET PATH/events, one after another, for the pushes).
struct ServerAddress {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string websocket_path;  // empty: framed TCP
  std::string poll_path;       // non-empty: HTTP long-poll
  // As ImClient takes it: IP:PORT, ws://IP:PORT/PATH or http://IP:PORT/PATH.
  std::string ToString() const;
};

class BenchConnection : public std::enable_shared_from_this<BenchConnection> {
 public:
  using FrameHandler = std::function<void(const client::ServerFrame&)>;

  static std::shared_ptr<BenchConnection> Create(boost::asio::io_context& io) {
    return std::shared_ptr<BenchConnection>(new BenchConnection(io));
  }

  // Opens a socket bound to `source` (port chosen at connect time, so many
  // connections share one source address) and connects to `server` (and
  // upgrades, for a WebSocket port); `done(true)` once calls can be made.
  void Connect(const ServerAddress& server, const boost::asio::ip::address& source,
               std::function<void(bool ok)> done);

  // Sends `frame` with a fresh req_id; `on_response` gets its response, or a
  // frame with status UNAVAILABLE if the connection closes first.
  void Call(client::ClientFrame frame, FrameHandler on_response);
  // A heartbeat: a Ping whose Pong is dropped.
  void Ping();

  void SetEventHandler(FrameHandler handler) { on_event_ = std::move(handler); }
  void SetCloseHandler(std::function<void()> handler) { on_close_ = std::move(handler); }

  void Close();
  bool open() const { return open_; }
  std::size_t pending_calls() const { return pending_.size(); }

 private:
  explicit BenchConnection(boost::asio::io_context& io) : socket_(io), decoder_(64 << 20) {}

  // What a WebSocket connection needs besides the socket (absent for TCP).
  struct WebSocket {
    std::string key;                   // of the upgrade request
    std::string answer;                // the upgrade's answer while it arrives
    std::function<void(bool)> opened;  // Connect's `done`, until the upgrade ends
    common::WebSocketDecoder decoder;
    std::uint32_t mask = 0x9e3779b9;  // xorshift state for frame masks
  };

  // What a long-poll connection needs besides the request socket (absent otherwise).
  struct LongPoll {
    LongPoll(boost::asio::io_context& io, std::string path, std::string host)
        : path(std::move(path)), host(std::move(host)), events(io) {}
    std::string path;
    std::string host;   // the Host header
    std::string token;  // once a login was answered with one
    std::string answers;                   // the request socket's answers as they arrive
    boost::asio::ip::tcp::socket events;  // holds GET PATH/events
    std::string events_in;
    std::string events_out;
  };

  // The HTTP request that carries `frame` (a long-poll connection).
  std::string PollRequest(const client::ClientFrame& frame) const;
  // Takes the request socket's bytes: whole answers are dispatched.
  bool TakePollAnswers(std::string_view bytes);
  // Cuts the next whole HTTP answer off `in` into `body`; false while
  // incomplete; `status` 0 if it is not HTTP.
  static bool NextAnswer(std::string& in, int* status, std::string* body);
  bool TakeFrames(std::string_view frames);
  void StartEvents();
  void PollEvents();
  void ReadEvents();
  void Opened();
  void Upgrade(const ServerAddress& server, std::function<void(bool)> done);
  // Takes received bytes: frames, or (while upgrading) the upgrade's answer.
  // False once the connection was closed.
  bool TakeBytes(std::string_view bytes);
  bool TakeWebSocketBytes(std::string_view bytes);
  bool TakeFrame(std::string_view body);
  void WaitReadable();
  void OnReadable(const boost::system::error_code& ec);
  void Dispatch(const client::ServerFrame& frame);
  void Queue(const client::ClientFrame& frame);
  void QueueWebSocket(std::uint8_t opcode, std::string_view payload);
  void WriteNext();

  boost::asio::ip::tcp::socket socket_;
  common::FrameDecoder decoder_;
  std::unique_ptr<WebSocket> websocket_;
  std::unique_ptr<LongPoll> poll_;
  boost::asio::ip::address source_;  // the address the sockets are bound to
  std::string queued_;   // encoded frames waiting for the next write
  std::string writing_;  // the bytes of the write in flight
  bool open_ = false;
  bool closed_ = false;
  std::uint64_t next_req_id_ = 1;
  std::vector<std::pair<std::uint64_t, FrameHandler>> pending_;  // few in flight: a vector
  FrameHandler on_event_;
  std::function<void()> on_close_;
};

}  // namespace im::bench
