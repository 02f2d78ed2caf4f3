#pragma once
// The stream under one HTTP long-poll session: what its Connection reads and
// writes when the client speaks HTTP requests (access/poll_http_connection.h)
// instead of keeping a socket open. ClientStream hands its Read and Write
// here, so a long-poll session is the same Connection as a TCP or WebSocket
// client's: login, limits, acks, queue bounds and timeouts alike.
//
// In: each frame the client submits (one POST) is read by the Connection
// with its 4-byte length in front. A poll, when it starts and when it is
// answered, counts as a read of nothing, which keeps the session within its
// idle timeout while the client polls; a
// session whose client stops polling is closed by that timeout (offline).
// Out: a frame that answers a submitted request (same req_id) goes in that
// request's HTTP answer; every other frame (pushes, kicks, the error before
// a close) waits for a poll, which is answered as soon as one is there, with
// everything waiting. A write completes at once while less than
// kBufferedBytes wait for polls, as a socket's send buffer would take them;
// past that it completes only when a poll takes them, so the Connection cuts
// a client that stopped polling as it cuts one that stopped reading.
// Close (the Connection closed): a waiting poll gets what is left (or, with
// nothing left, UNAVAILABLE), waiting submits are answered UNAVAILABLE, and
// the WhenClosed callback runs once the frames left were taken (or after
// kLingerAfterClose).
//
// Threading: the state lives on `executor`, the Connection's thread. The
// Connection calls Read/Write/Close there; the HTTP side's calls (Submit,
// Poll, EndPoll, Hangup, WhenClosed) may come from any thread and are posted
// there, and their callbacks run there (callers post back to their own).
// Owned by the Connection's ClientStream and by the HTTP side while a
// request uses it.

// clang-format off
#include <utility>  // Boost 1.74's Asio uses std::exchange without including it (C++20)
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace im::access {

class PollMailbox : public std::enable_shared_from_this<PollMailbox> {
 public:
  using Executor = boost::asio::io_context::executor_type;
  using ErrorCode = boost::system::error_code;
  using ReadHandler = std::function<void(const ErrorCode&, std::string_view)>;
  using WriteHandler = std::function<void(const ErrorCode&, std::size_t)>;
  // Length-prefixed server frames, or why there are none.
  using Answer = std::function<void(absl::StatusOr<std::string> frames)>;

  static constexpr std::size_t kBufferedBytes = 256 * 1024;
  static constexpr std::chrono::seconds kLingerAfterClose{10};

  // At most `max_waiting_requests` submits wait for their answers at once.
  PollMailbox(Executor executor, std::size_t max_waiting_requests);

  Executor executor() const { return executor_; }

  // The Connection's side, on the executor; one Read and one Write at a time.
  void Read(ReadHandler handler);
  void Write(const std::vector<boost::asio::const_buffer>& frames, WriteHandler handler);
  void Close();

  // The HTTP side, from any thread.
  // `frame` (a ClientFrame's bytes, with `req_id`) goes to the Connection;
  // `answer` gets the frame that answers it. ALREADY_EXISTS if a request
  // with that req_id is still waiting, RESOURCE_EXHAUSTED if too many are.
  void Submit(std::string frame, std::uint64_t req_id, Answer answer);
  // `answer` gets the frames waiting, at once or when some arrive. A newer
  // poll ends the one waiting (answered with nothing).
  void Poll(std::uint64_t ticket, Answer answer);
  // The poll `ticket`, if it still waits, is answered with nothing.
  void EndPoll(std::uint64_t ticket);
  // The client ends the session (or frames handed out did not reach it):
  // the Connection reads the end of the stream and closes.
  void Hangup();
  // Runs `fn` on the executor once the session has closed and its last frames
  // were taken (at once if that is so already).
  void WhenClosed(std::function<void()> fn);

 private:
  void DoSubmit(std::string frame, std::uint64_t req_id, Answer answer);
  void DoPoll(std::uint64_t ticket, Answer answer);
  // Hands the waiting Read what was submitted (`touch`: or nothing, as a
  // sign of life), or the end of the stream after a hangup.
  void FeedReader(bool touch);
  // Gives the waiting poll everything waiting, and completes a held write.
  void FeedPoll();
  void Finish();  // closed and drained (or lingered long enough)

  const Executor executor_;
  const std::size_t max_waiting_requests_;
  std::string input_;    // submitted frames not yet read, length-prefixed
  std::string reading_;  // what the Read in progress was handed
  ReadHandler reader_;
  std::map<std::uint64_t, Answer> waiting_;  // submits by req_id
  std::string outbox_;                       // frames for the next poll
  WriteHandler held_write_;                  // while outbox_ is over kBufferedBytes
  std::size_t held_write_bytes_ = 0;
  Answer poll_;
  std::uint64_t poll_ticket_ = 0;
  bool hung_up_ = false;
  bool closed_ = false;
  bool finished_ = false;
  std::function<void()> when_closed_;
  std::unique_ptr<boost::asio::steady_timer> linger_;
};

}  // namespace im::access
