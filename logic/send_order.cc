#include "logic/send_order.h"

namespace im::logic {

std::shared_ptr<SendOrder::Turn> SendOrder::Arrive(const std::string& access_node,
                                                   std::uint64_t conn_id) {
  Turn::Key key{access_node, conn_id};
  std::lock_guard lock(mutex_);
  Line& line = lines_[key];
  line.entries.emplace_back();
  // Not make_shared: the constructor is private.
  return std::shared_ptr<Turn>(new Turn(this, std::move(key), line.next++));
}

void SendOrder::WhenFirst(Turn& turn, std::function<void()> go) {
  {
    std::lock_guard lock(mutex_);
    auto it = lines_.find(turn.key_);
    const bool first = turn.done_ || it == lines_.end() || it->second.first == turn.number_;
    if (!first) {
      it->second.entries[turn.number_ - it->second.first].go = std::move(go);
      return;
    }
  }
  go();
}

void SendOrder::Done(Turn& turn) {
  std::function<void()> next;
  {
    std::lock_guard lock(mutex_);
    if (std::exchange(turn.done_, true)) return;
    auto it = lines_.find(turn.key_);
    if (it == lines_.end()) return;
    Line& line = it->second;
    Entry& mine = line.entries[turn.number_ - line.first];
    mine.done = true;
    mine.go = nullptr;
    while (!line.entries.empty() && line.entries.front().done) {
      line.entries.pop_front();
      ++line.first;
    }
    if (line.entries.empty()) {
      lines_.erase(it);
      return;
    }
    next = std::move(line.entries.front().go);
    line.entries.front().go = nullptr;
  }
  if (next) next();
}

}  // namespace im::logic
