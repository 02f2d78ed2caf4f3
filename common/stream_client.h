#pragma once
// StreamClient: the client end of a coalescing stream (DESIGN.md §6). A hop's
// client class submits one request at a time and gets one completion, as with
// a unary call; underneath, requests travel on one long-lived bidi stream, and
// each write carries every request that queued while the previous write was in
// flight. The server answers in batches the same way (common/stream_server.h),
// and answers are matched to requests by id. Completions run in the order the
// server sent the answers.
//
// The stream's messages follow one shape, so one template serves every hop:
//   Calls   { repeated Call calls = 1; }      Call   { uint64 id; Request request; }
//   Results { repeated Result results = 1; }  Result { uint64 id; int32 code;
//                                                      string message; Response response; }
//
// What a unary call gave is kept:
// - a deadline per call: a call unanswered after `timeout` completes with
//   DEADLINE_EXCEEDED, at most a quarter of the timeout (250 ms) late (its
//   request may still be served, as with a unary call);
// - bounded work: past `max_in_flight` unanswered calls, Submit completes at
//   once with RESOURCE_EXHAUSTED;
// - reconnection: a stream that ends (server restarted, connection lost)
//   completes the calls it carried with UNAVAILABLE, and the next Submit opens
//   a new stream. With `wait_for_ready` a new stream waits for an unreachable
//   server (calls wait up to their deadline) instead of failing at once; a
//   stream that could not write for a whole `timeout` is cancelled and replaced.
//
// Rebalancing: a stream is one RPC, so the channel's load balancer places it
// on one replica for its whole life. With `max_stream_age`, a stream older
// than that is replaced at the next Submit, so the balancer places it anew
// (on a replica that came back since, say). Nothing fails and order holds:
// calls submitted meanwhile are held until the old stream has answered every
// call it carries and completed those calls, then go out on the new one.
//
// Completions run exactly once, without the client's lock held, on a gRPC
// thread, the sweeper thread (deadlines) or the caller's thread (refusals);
// they must not block. Thread-safe. The destructor cancels the stream, waits
// for it to end and completes what is left with UNAVAILABLE. Include only from
// code that already uses gRPC (it pulls in gRPC headers).

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/async_unary.h"
#include "common/logging.h"
#include "common/stream_batches.h"
#include "common/str_cat.h"

namespace im::common {

template <typename Calls, typename Results>
class StreamClient {
 public:
  using Call = std::decay_t<decltype(std::declval<Calls>().calls(0))>;
  using Request = std::decay_t<decltype(std::declval<Call>().request())>;
  using Result = std::decay_t<decltype(std::declval<Results>().results(0))>;
  using Response = std::decay_t<decltype(std::declval<Result>().response())>;
  using Reactor = grpc::ClientBidiReactor<Calls, Results>;
  // Starts the stream's RPC on a stub: stub->async()->XStream(context, reactor).
  using Open = std::function<void(grpc::ClientContext*, Reactor*)>;

  struct Options {
    std::string peer;  // names the server in errors and logs
    std::chrono::milliseconds timeout{5000};
    std::size_t max_in_flight = 20000;
    bool wait_for_ready = false;
    std::chrono::milliseconds max_stream_age{0};  // 0: a stream lives until it breaks
  };

  StreamClient(Open open, Options options)
      : open_(std::move(open)), options_(std::move(options)), sweeper_([this] { Sweep(); }) {}

  ~StreamClient() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    if (current_ != nullptr) current_->context.TryCancel();
    if (draining_ != nullptr) draining_->context.TryCancel();
    stopped_.notify_all();
    streams_ended_.wait(lock, [this] { return live_streams_ == 0; });
    std::vector<Completion<Response>> left;
    for (auto& [id, call] : pending_) left.push_back(std::move(call.done));
    pending_.clear();
    lock.unlock();
    sweeper_.join();
    for (auto& done : left) done(Unavailable("the client is shutting down"), Response());
  }

  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  void Submit(Request request, Completion<Response> done) {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      lock.unlock();
      return done(Unavailable("the client is shutting down"), Response());
    }
    if (pending_.size() >= options_.max_in_flight) {
      lock.unlock();
      return done(absl::ResourceExhaustedError(StrCat("too many calls in flight to ", options_.peer)),
                  Response());
    }
    const auto now = Clock::now();
    if (current_ != nullptr && options_.max_stream_age.count() > 0 &&
        now - current_->opened_ > options_.max_stream_age) {
      ReplaceCurrentLocked();
    }
    const std::uint64_t id = ++next_id_;
    if (draining_ != nullptr) {  // goes out once the old stream has answered everything
      pending_.emplace(id, Pending{std::move(done), now + options_.timeout, nullptr});
      held_.emplace_back(id, std::move(request));
      return;
    }
    if (current_ == nullptr) current_ = OpenStreamLocked();
    pending_.emplace(id, Pending{std::move(done), now + options_.timeout, current_});
    ++current_->carried_;
    current_->Enqueue(id, std::move(request));
  }

 private:
  using Clock = std::chrono::steady_clock;
  class Stream;

  struct Pending {
    Completion<Response> done;
    Clock::time_point deadline;
    Stream* stream;  // null while held (see held_)
  };
  // A completion to run once the lock is released.
  struct Answer {
    Completion<Response> done;
    absl::Status status;
    Response response;
  };

  absl::Status Unavailable(std::string_view why) const {
    return absl::UnavailableError(StrCat(options_.peer, ": ", why));
  }

  // One RPC. Guarded by the client's mutex; holds a gRPC hold until retired,
  // so OnDone (which deletes it) cannot run while it may still be written to.
  class Stream final : public Reactor {
   public:
    explicit Stream(StreamClient* client) : client_(client) {
      context.set_wait_for_ready(client->options_.wait_for_ready);
      client->open_(&context, this);
      this->AddHold();
      this->StartRead(&incoming_);
      this->StartCall();
    }

    void Enqueue(std::uint64_t id, Request request) {
      Call* call = queue_.For(request.ByteSizeLong()).add_calls();
      call->set_id(id);
      *call->mutable_request() = std::move(request);
      if (!writing_) WriteNext();
    }

    // The stream wrote nothing for a whole timeout: replace it.
    bool Stalled(Clock::time_point now) const {
      return writing_ && now - write_started_ > client_->options_.timeout;
    }

    grpc::ClientContext context;

   private:
    void WriteNext() {
      if (retired_ || queue_.empty()) {
        writing_ = false;
        return;
      }
      outgoing_ = queue_.Pop();
      writing_ = true;
      write_started_ = Clock::now();
      this->StartWrite(&outgoing_);
    }

    void OnWriteDone(bool ok) override {
      std::vector<Answer> answers;
      {
        std::lock_guard lock(client_->mutex_);
        if (ok) {
          WriteNext();
        } else {
          writing_ = false;
          client_->RetireLocked(this, &answers);
        }
      }
      Deliver(answers);
    }

    void OnReadDone(bool ok) override {
      std::vector<Answer> answers;
      {
        std::lock_guard lock(client_->mutex_);
        if (!ok) {
          client_->RetireLocked(this, &answers);
        } else {
          for (Result& result : *incoming_.mutable_results()) {
            auto it = client_->pending_.find(result.id());
            if (it == client_->pending_.end()) continue;  // past its deadline
            absl::Status status(static_cast<absl::StatusCode>(result.code()), result.message());
            answers.push_back({std::move(it->second.done), std::move(status),
                               std::move(*result.mutable_response())});
            client_->pending_.erase(it);
            --carried_;
          }
          incoming_.Clear();
        }
      }
      // Completed in order, before the next batch is read, so completions of
      // one stream never overtake each other (this reaction keeps it alive).
      Deliver(answers);
      if (!ok) return;
      std::lock_guard lock(client_->mutex_);
      if (this == client_->draining_ && carried_ == 0) {
        // Replaced, and all answered: the held calls go out on a new stream,
        // only now, so their completions come after these.
        return client_->ReleaseHeldLocked();
      }
      if (!retired_) this->StartRead(&incoming_);
    }

    void OnDone(const grpc::Status& status) override {
      StreamClient* client = client_;
      const grpc::Status ended = status;
      // The stream (its ClientContext) goes first: once live_streams_ drops,
      // the client, and the channel its owner holds, may be destroyed at once.
      const bool replaced = replaced_;
      delete this;
      std::lock_guard lock(client->mutex_);
      if (!ended.ok() && !client->stopping_ && !replaced) client->LogEnded(ended);
      --client->live_streams_;
      client->streams_ended_.notify_all();
    }

    friend class StreamClient;
    StreamClient* client_;
    StreamBatches<Calls> queue_;
    Calls outgoing_;
    Results incoming_;
    bool writing_ = false;
    bool retired_ = false;
    bool replaced_ = false;   // ended on purpose, by rebalancing
    std::size_t carried_ = 0;  // calls sent on it and not yet answered
    const Clock::time_point opened_ = Clock::now();
    Clock::time_point write_started_;
  };

  Stream* OpenStreamLocked() {
    ++live_streams_;
    return new Stream(this);
  }

  // The stream carries no more calls: the next Submit opens a new one, and
  // every call it carried completes UNAVAILABLE.
  void RetireLocked(Stream* stream, std::vector<Answer>* answers) {
    if (stream->retired_) return;
    stream->retired_ = true;
    if (current_ == stream) current_ = nullptr;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.stream != stream) {
        ++it;
        continue;
      }
      answers->push_back({std::move(it->second.done), Unavailable("connection lost"), Response()});
      it = pending_.erase(it);
    }
    stream->carried_ = 0;
    stream->context.TryCancel();
    stream->RemoveHold();
    if (stream == draining_) ReleaseHeldLocked();
  }

  // Rebalancing: the current stream takes no more calls; it ends once it has
  // answered those it carries (at once if none), and the held calls then go
  // out on a new stream.
  void ReplaceCurrentLocked() {
    if (draining_ != nullptr) return;  // one replacement at a time
    draining_ = current_;
    current_ = nullptr;
    if (draining_->carried_ == 0) ReleaseHeldLocked();
  }

  // The draining stream has answered every call it carried (or broke):
  // end it, and send the held calls (those still awaited) on a new stream.
  void ReleaseHeldLocked() {
    Stream* old = draining_;
    draining_ = nullptr;
    if (!old->retired_) {
      old->replaced_ = true;
      std::vector<Answer> none;  // it carries no calls
      RetireLocked(old, &none);
    }
    if (stopping_) return;  // the destructor completes the held calls
    std::vector<std::pair<std::uint64_t, Request>> held;
    held.swap(held_);
    for (auto& [id, request] : held) {
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;  // past its deadline meanwhile
      if (current_ == nullptr) current_ = OpenStreamLocked();
      it->second.stream = current_;
      ++current_->carried_;
      current_->Enqueue(id, std::move(request));
    }
  }

  static void Deliver(std::vector<Answer>& answers) {
    for (Answer& a : answers) a.done(std::move(a.status), std::move(a.response));
  }

  void LogEnded(const grpc::Status& status) const {
    GetLogger("grpc")->warn("event=stream_ended peer={} status=\"{}\"", options_.peer,
                            status.error_message());
  }

  // Completes calls past their deadline (the oldest come first: ids grow and
  // every call has the same timeout) and replaces a stalled stream. Looks a
  // few times per timeout (at most 4/s), so an idle client costs nothing.
  void Sweep() {
    const auto every = std::clamp<std::chrono::milliseconds>(
        options_.timeout / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      stopped_.wait_for(lock, every);
      const auto now = Clock::now();
      std::vector<Answer> answers;
      while (!pending_.empty() && pending_.begin()->second.deadline <= now) {
        answers.push_back({std::move(pending_.begin()->second.done),
                           absl::DeadlineExceededError(StrCat(options_.peer, " did not answer within ",
                                                              options_.timeout.count(), " ms")),
                           Response()});
        Stream* stream = pending_.begin()->second.stream;
        pending_.erase(pending_.begin());
        if (stream != nullptr && --stream->carried_ == 0 && stream == draining_) {
          ReleaseHeldLocked();
        }
      }
      if (current_ != nullptr && current_->Stalled(now)) RetireLocked(current_, &answers);
      if (draining_ != nullptr && draining_->Stalled(now)) RetireLocked(draining_, &answers);
      if (answers.empty()) continue;
      lock.unlock();
      Deliver(answers);
      lock.lock();
    }
  }

  const Open open_;
  const Options options_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  std::condition_variable streams_ended_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_id_ = 0;
  Stream* current_ = nullptr;
  Stream* draining_ = nullptr;  // being replaced: answers what it carries, takes nothing new
  std::vector<std::pair<std::uint64_t, Request>> held_;  // submitted while one drains
  int live_streams_ = 0;
  bool stopping_ = false;
  std::thread sweeper_;  // last: starts once everything above is built
};

}  // namespace im::common
