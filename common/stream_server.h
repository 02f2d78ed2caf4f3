#pragma once
// StreamServer: the server end of a coalescing stream (common/stream_client.h
// has the client end and the message shapes). Each call read from a stream is
// passed to `handler` on its own, as a unary call would be, in the order the
// client sent them; each answer is queued, and each write carries every answer
// that queued while the previous write was in flight. Answers go back in the
// order they are ready, with the id of the call they answer.
//
// The handler gets the request, a response to fill and a `done` to call
// exactly once with the call's status (the response is sent only with OK);
// both stay valid until `done` runs, which may be on any thread, at once or
// later. A stream ends when the client ends it, or when Drain() is called (at
// shutdown, before grpc::Server::Shutdown): calls already read are answered
// first, then the stream finishes UNAVAILABLE and the client reconnects.
//
// Usage, in a CallbackService:
//   grpc::ServerBidiReactor<Calls, Results>* HandleStream(grpc::CallbackServerContext*) override {
//     return stream_.Open();
//   }
// Thread-safe. Must outlive every stream it opened (the gRPC server's
// Shutdown waits for them). Pulls in gRPC headers.

#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/grpc_status.h"
#include "common/stream_batches.h"

namespace im::common {

template <typename Calls, typename Results>
class StreamServer {
 public:
  using Call = std::decay_t<decltype(std::declval<Calls>().calls(0))>;
  using Request = std::decay_t<decltype(std::declval<Call>().request())>;
  using Result = std::decay_t<decltype(std::declval<Results>().results(0))>;
  using Response = std::decay_t<decltype(std::declval<Result>().response())>;
  using Done = std::function<void(absl::Status)>;
  using Handler = std::function<void(const Request&, Response*, Done)>;

  explicit StreamServer(Handler handler) : handler_(std::move(handler)) {}
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  grpc::ServerBidiReactor<Calls, Results>* Open() { return new Stream(this); }

  // Ends every open stream once the calls it already carried are answered;
  // streams opened afterwards end at once.
  void Drain() {
    std::vector<Stream*> finish;
    {
      std::lock_guard lock(mutex_);
      draining_ = true;
      for (Stream* stream : open_) {
        if (stream->DrainLocked()) finish.push_back(stream);
      }
    }
    // Outside the lock: Finish may lead straight to OnDone, which takes it.
    for (Stream* stream : finish) stream->FinishDrained();
  }

 private:
  // One open RPC. Its fields are guarded by its own mutex: gRPC may run its
  // reactions concurrently (all but OnDone, which comes last).
  class Stream final : public grpc::ServerBidiReactor<Calls, Results> {
   public:
    explicit Stream(StreamServer* server) : server_(server) {
      bool finish = false;
      {
        std::lock_guard lock(server->mutex_);
        server->open_.insert(this);
        finish = server->draining_ && DrainLocked();
      }
      this->StartRead(&incoming_);
      if (finish) FinishDrained();
    }

    // Called with the server's lock held, so it must not Finish: returns
    // true if the stream is idle and the caller must call FinishDrained.
    bool DrainLocked() {
      std::lock_guard lock(mutex_);
      draining_ = true;
      if (finished_ || handling_ > 0 || writing_ || !queue_.empty()) return false;
      finished_ = true;
      return true;
    }
    void FinishDrained() {
      this->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
    }

   private:
    // A call being handled: owns what the handler was given.
    struct Slot {
      std::uint64_t id;
      Request request;
      Response response;
    };

    void OnReadDone(bool ok) override {
      std::vector<std::unique_ptr<Slot>> slots;
      {
        std::unique_lock lock(mutex_);
        if (!ok || finished_) {
          reads_done_ = true;
          return MaybeFinishLocked(lock);
        }
        slots.reserve(incoming_.calls_size());
        for (Call& call : *incoming_.mutable_calls()) {
          slots.push_back(std::make_unique<Slot>(
              Slot{call.id(), std::move(*call.mutable_request()), Response()}));
        }
        incoming_.Clear();
        // One more than the calls: the stream stays open while they are
        // handed out, even if every one is answered at once.
        handling_ += slots.size() + 1;
      }
      // Handed out in order, before the next batch is read: a handler sees a
      // stream's calls in the order the client sent them.
      for (auto& owned : slots) {
        Slot* slot = owned.release();
        server_->handler_(slot->request, &slot->response,
                          [this, slot](absl::Status status) { Answer(slot, std::move(status)); });
      }
      std::unique_lock lock(mutex_);
      --handling_;
      if (draining_ || broken_ || finished_) {
        reads_done_ = true;
      } else {
        this->StartRead(&incoming_);
      }
      MaybeFinishLocked(lock);
    }

    void Answer(Slot* slot, absl::Status status) {
      std::unique_ptr<Slot> owned(slot);
      std::unique_lock lock(mutex_);
      --handling_;
      if (!broken_) {
        Result* result =
            queue_.For(status.ok() ? slot->response.ByteSizeLong() : 0).add_results();
        result->set_id(slot->id);
        result->set_code(static_cast<int>(status.code()));
        if (status.ok()) {
          *result->mutable_response() = std::move(slot->response);
        } else {
          result->set_message(std::string(status.message()));
        }
        if (!writing_) WriteNextLocked();
      }
      MaybeFinishLocked(lock);
    }

    void WriteNextLocked() {
      if (queue_.empty() || broken_) {
        writing_ = false;
        return;
      }
      outgoing_ = queue_.Pop();
      writing_ = true;
      this->StartWrite(&outgoing_);
    }

    void OnWriteDone(bool ok) override {
      std::unique_lock lock(mutex_);
      if (!ok) broken_ = true;
      WriteNextLocked();
      MaybeFinishLocked(lock);
    }

    void OnCancel() override {
      std::unique_lock lock(mutex_);
      broken_ = true;
      MaybeFinishLocked(lock);
    }

    void OnDone() override {
      {
        std::lock_guard lock(server_->mutex_);
        server_->open_.erase(this);
      }
      delete this;
    }

    // Finishes once nothing is left to do; releases `lock` first, since
    // Finish may lead straight to OnDone.
    void MaybeFinishLocked(std::unique_lock<std::mutex>& lock) {
      if (finished_ || handling_ > 0 || writing_) return;
      grpc::Status status;
      if (broken_) {
        status = grpc::Status::CANCELLED;
      } else if (!queue_.empty()) {
        return;
      } else if (reads_done_ && !draining_) {
        status = grpc::Status::OK;
      } else if (draining_) {
        status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
      } else {
        return;
      }
      finished_ = true;
      lock.unlock();
      this->Finish(status);
    }

    StreamServer* const server_;
    std::mutex mutex_;
    Calls incoming_;
    Results outgoing_;
    StreamBatches<Results> queue_;
    std::size_t handling_ = 0;
    bool writing_ = false;
    bool reads_done_ = false;
    bool draining_ = false;
    bool broken_ = false;
    bool finished_ = false;
  };

  const Handler handler_;
  std::mutex mutex_;
  std::set<Stream*> open_;
  bool draining_ = false;
};

}  // namespace im::common
