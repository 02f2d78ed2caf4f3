#include "logic/push_order.h"

#include <vector>

namespace im::logic {

PushOrder::Ticket PushOrder::Reserve(std::uint64_t conv_id) {
  std::lock_guard lock(mutex_);
  return queues_[conv_id].next++;
}

void PushOrder::Release(std::uint64_t conv_id, Ticket ticket, Send send) {
  std::unique_lock lock(mutex_);
  auto it = queues_.find(conv_id);
  if (it == queues_.end()) return;  // not reserved: nothing to order against
  it->second.released.emplace(ticket, std::move(send));
  if (it->second.sending) return;  // the running Release will send it
  it->second.sending = true;
  for (;;) {
    Queue& q = queues_.at(conv_id);  // rehashing may move it while unlocked
    std::vector<Send> ready;
    while (!q.released.empty() && q.released.begin()->first == q.head) {
      ready.push_back(std::move(q.released.begin()->second));
      q.released.erase(q.released.begin());
      ++q.head;
    }
    if (ready.empty()) {
      q.sending = false;
      if (q.head == q.next) queues_.erase(conv_id);
      return;
    }
    lock.unlock();
    for (auto& s : ready) {
      if (s) s();
    }
    lock.lock();
  }
}

std::size_t PushOrder::pending_conversations() const {
  std::lock_guard lock(mutex_);
  return queues_.size();
}

}  // namespace im::logic
