#include "access/poll_mailbox.h"

#include "common/frame_codec.h"
#include "common/str_cat.h"

namespace im::access {
namespace asio = boost::asio;

namespace {

absl::Status SessionEnded() {
  return absl::UnavailableError("this session has ended: log in again");
}

// The req_id of a serialized ServerFrame: field 1, which the serializer
// writes first when it is set (0 when it is not), so pushes are not parsed.
std::uint64_t ReqIdOf(std::string_view body) {
  if (body.empty() || static_cast<unsigned char>(body[0]) != 0x08) return 0;  // field 1, varint
  std::uint64_t value = 0;
  for (std::size_t i = 1, shift = 0; i < body.size() && shift < 64; ++i, shift += 7) {
    const auto byte = static_cast<unsigned char>(body[i]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return 0;  // truncated: not an answer to anything
}

std::uint32_t FrameLength(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

}  // namespace

PollMailbox::PollMailbox(Executor executor, std::size_t max_waiting_requests)
    : executor_(executor), max_waiting_requests_(max_waiting_requests) {}

void PollMailbox::Read(ReadHandler handler) {
  reader_ = std::move(handler);
  // Never complete within the call: the Connection reads again from its handler.
  if (!input_.empty() || hung_up_) {
    asio::post(executor_, [self = shared_from_this()] { self->FeedReader(/*touch=*/false); });
  }
}

void PollMailbox::Write(const std::vector<asio::const_buffer>& frames, WriteHandler handler) {
  std::size_t total = 0;
  for (const auto& buffer : frames) {
    // Each buffer holds whole frames (the Connection writes one per buffer).
    std::string_view rest(static_cast<const char*>(buffer.data()), buffer.size());
    total += rest.size();
    while (rest.size() >= common::kFrameHeaderBytes) {
      const std::size_t size =
          std::min<std::size_t>(common::kFrameHeaderBytes + FrameLength(rest.data()), rest.size());
      const std::string_view frame = rest.substr(0, size);
      rest.remove_prefix(size);
      const std::uint64_t req_id = ReqIdOf(frame.substr(common::kFrameHeaderBytes));
      auto waiting = req_id != 0 ? waiting_.find(req_id) : waiting_.end();
      if (waiting != waiting_.end()) {
        Answer answer = std::move(waiting->second);
        waiting_.erase(waiting);
        answer(std::string(frame));
      } else {
        outbox_.append(frame);
      }
    }
  }
  if (closed_) {
    return asio::post(executor_, [handler = std::move(handler)] {
      handler(asio::error::operation_aborted, 0);
    });
  }
  if (outbox_.size() > kBufferedBytes) {
    held_write_ = std::move(handler);
    held_write_bytes_ = total;
  } else {
    asio::post(executor_, [handler = std::move(handler), total] { handler(ErrorCode(), total); });
  }
  FeedPoll();
}

void PollMailbox::Close() {
  if (closed_) return;
  closed_ = true;
  reader_ = nullptr;  // it holds the Connection
  held_write_ = nullptr;
  std::map<std::uint64_t, Answer> waiting;
  waiting.swap(waiting_);
  for (auto& [req_id, answer] : waiting) answer(SessionEnded());
  if (poll_) {
    Answer poll = std::move(poll_);
    poll_ = nullptr;
    if (outbox_.empty()) {
      poll(SessionEnded());
    } else {
      poll(std::exchange(outbox_, std::string()));
    }
  }
  if (outbox_.empty()) return Finish();
  // Its last frames (the reason it closed) wait a while for the client's next poll.
  linger_ = std::make_unique<asio::steady_timer>(executor_, kLingerAfterClose);
  linger_->async_wait([self = shared_from_this()](const ErrorCode&) { self->Finish(); });
}

void PollMailbox::Submit(std::string frame, std::uint64_t req_id, Answer answer) {
  asio::post(executor_, [self = shared_from_this(), frame = std::move(frame), req_id,
                         answer = std::move(answer)]() mutable {
    self->DoSubmit(std::move(frame), req_id, std::move(answer));
  });
}

void PollMailbox::DoSubmit(std::string frame, std::uint64_t req_id, Answer answer) {
  if (closed_ || hung_up_) return answer(SessionEnded());
  if (waiting_.count(req_id) != 0) {
    return answer(absl::AlreadyExistsError(common::StrCat(
        "request ", req_id, " is still waiting for its answer: give each request its own req_id")));
  }
  if (waiting_.size() >= max_waiting_requests_) {
    return answer(absl::ResourceExhaustedError(
        common::StrCat("too many requests waiting for answers (at most ", max_waiting_requests_,
                       "); send again once an answer arrives")));
  }
  waiting_.emplace(req_id, std::move(answer));
  common::AppendFrame(input_, frame);
  FeedReader(/*touch=*/false);
}

void PollMailbox::Poll(std::uint64_t ticket, Answer answer) {
  asio::post(executor_,
             [self = shared_from_this(), ticket, answer = std::move(answer)]() mutable {
               self->DoPoll(ticket, std::move(answer));
             });
}

void PollMailbox::DoPoll(std::uint64_t ticket, Answer answer) {
  if (poll_) std::exchange(poll_, nullptr)(std::string());  // the newer poll takes over
  if (closed_ && outbox_.empty()) return answer(SessionEnded());
  poll_ = std::move(answer);
  poll_ticket_ = ticket;
  FeedPoll();
  FeedReader(/*touch=*/true);
}

void PollMailbox::EndPoll(std::uint64_t ticket) {
  asio::post(executor_, [self = shared_from_this(), ticket] {
    if (self->poll_ && self->poll_ticket_ == ticket) {
      std::exchange(self->poll_, nullptr)(std::string());
      self->FeedReader(/*touch=*/true);  // the client was there until now
    }
  });
}

void PollMailbox::Hangup() {
  asio::post(executor_, [self = shared_from_this()] {
    self->hung_up_ = true;
    self->FeedReader(/*touch=*/false);
  });
}

void PollMailbox::WhenClosed(std::function<void()> fn) {
  asio::post(executor_, [self = shared_from_this(), fn = std::move(fn)]() mutable {
    if (self->finished_) return fn();
    self->when_closed_ = std::move(fn);
  });
}

void PollMailbox::FeedReader(bool touch) {
  if (!reader_ || closed_) return;
  if (input_.empty() && !hung_up_ && !touch) return;
  ReadHandler reader = std::move(reader_);
  reader_ = nullptr;
  if (input_.empty() && hung_up_) return reader(asio::error::eof, std::string_view());
  reading_.swap(input_);
  input_.clear();
  reader(ErrorCode(), reading_);
  reading_.clear();
}

void PollMailbox::FeedPoll() {
  if (!poll_ || outbox_.empty()) return;
  Answer poll = std::move(poll_);
  poll_ = nullptr;
  poll(std::exchange(outbox_, std::string()));
  if (held_write_) {
    asio::post(executor_, [handler = std::move(held_write_), bytes = held_write_bytes_] {
      handler(ErrorCode(), bytes);
    });
    held_write_ = nullptr;
  }
  if (closed_) return Finish();
  FeedReader(/*touch=*/true);  // the client was there until now
}

void PollMailbox::Finish() {
  if (finished_) return;
  finished_ = true;
  if (linger_) linger_->cancel();
  outbox_.clear();
  if (when_closed_) std::exchange(when_closed_, nullptr)();
}

}  // namespace im::access
