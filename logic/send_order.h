#pragma once
// SendOrder keeps each connection's 1:1 sends in the order they arrived,
// although some wait on lookups (a cache miss) and others do not. A send
// takes a turn when it arrives (requests reach logic in a connection's order,
// on one stream) and submits its append only when every earlier send of that
// connection has submitted its own or given up. Appends leave on one stream
// and commit in order, so a conversation's seqs follow the order in which a
// client pipelined its sends. A send decided again after a refused append
// (relation changed) no longer holds a turn.
//
// Usage:
//   auto turn = order.Arrive(node, conn_id);      // on arrival
//   ... lookups, with `turn` captured ...
//   turn->WhenFirst([=] { storage->Append(...); turn->Done(); });
// A turn dropped without Done (the send failed early) is done when the last
// copy of its shared_ptr goes. Thread-safe; must outlive its turns.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace im::logic {

class SendOrder {
 public:
  class Turn {
   public:
    ~Turn() { Done(); }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

    // Runs `go` once every earlier turn of the connection is done: at once,
    // or later, on the thread that finishes the turn before it. Call once.
    void WhenFirst(std::function<void()> go) { order_->WhenFirst(*this, std::move(go)); }
    // The send submitted its append, or gave up: later turns may go.
    void Done() { order_->Done(*this); }

   private:
    friend class SendOrder;
    using Key = std::pair<std::string, std::uint64_t>;  // access node, connection
    Turn(SendOrder* order, Key key, std::uint64_t number)
        : order_(order), key_(std::move(key)), number_(number) {}

    SendOrder* const order_;
    const Key key_;
    const std::uint64_t number_;
    bool done_ = false;  // guarded by order_->mutex_
  };

  std::shared_ptr<Turn> Arrive(const std::string& access_node, std::uint64_t conn_id);

 private:
  struct Entry {
    bool done = false;
    std::function<void()> go;  // waiting for the turns before it
  };
  // One connection's turns not yet done, oldest first; `first` numbers the front.
  struct Line {
    std::uint64_t first = 0;
    std::uint64_t next = 0;
    std::deque<Entry> entries;
  };

  void WhenFirst(Turn& turn, std::function<void()> go);
  void Done(Turn& turn);

  std::mutex mutex_;
  std::map<Turn::Key, Line> lines_;
};

}  // namespace im::logic
