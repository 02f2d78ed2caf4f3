#pragma once
// Keeps each conversation's pushes in the order their messages were stored,
// although the route lookups before them finish in any order: a caller
// reserves a place when the message is stored (in seq order: append results
// arrive in the order storage committed them), looks the routes up, and
// releases its place with the push to send (or nothing, if the lookup failed).
// A push is sent only once every earlier place of its conversation has been
// released, so a client gets the messages of a conversation in seq order and
// needs its reorder window only after a loss. Sends run outside the lock, one
// conversation's never two at once, on the thread of whichever Release made
// them ready. A conversation with nothing pending holds no memory.
// Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>

namespace im::logic {

class PushOrder {
 public:
  using Ticket = std::uint64_t;
  using Send = std::function<void()>;

  Ticket Reserve(std::uint64_t conv_id);
  // `send` may be empty (nothing to send for this place). Each reserved
  // ticket must be released exactly once.
  void Release(std::uint64_t conv_id, Ticket ticket, Send send);

  // Conversations with pushes pending (for tests).
  std::size_t pending_conversations() const;

 private:
  struct Queue {
    Ticket next = 0;                  // the next ticket to hand out
    Ticket head = 0;                  // the oldest ticket not yet sent
    std::map<Ticket, Send> released;  // released, waiting for earlier ones
    bool sending = false;             // a Release is running this queue's sends
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Queue> queues_;
};

}  // namespace im::logic
