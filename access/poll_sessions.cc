#include "access/poll_sessions.h"

namespace im::access {

absl::StatusOr<std::shared_ptr<PollMailbox>> PollSessions::Open(
    PollMailbox::Executor executor, const std::string& peer,
    const ConnectionRegistry::Address& peer_key) {
  auto mailbox = std::make_shared<PollMailbox>(executor, options_.max_pending_requests);
  const std::uint64_t id = registry_->NewConnectionId();
  auto conn = std::make_shared<Connection>(mailbox, peer, id, options_, logic_, registry_,
                                           admission_);
  if (absl::Status admitted = registry_->Add(id, conn, peer_key); !admitted.ok()) {
    return admitted;
  }
  conn->Start();
  return mailbox;
}

void PollSessions::Bind(const std::string& token, const std::shared_ptr<PollMailbox>& mailbox) {
  std::shared_ptr<PollMailbox> replaced;
  {
    std::lock_guard lock(mutex_);
    auto& entry = by_token_[token];
    if (entry != mailbox) replaced = std::exchange(entry, mailbox);
  }
  if (replaced) replaced->Hangup();
  mailbox->WhenClosed([this, token, raw = mailbox.get()] { Forget(token, raw); });
}

void PollSessions::Forget(const std::string& token, const PollMailbox* mailbox) {
  std::lock_guard lock(mutex_);
  auto it = by_token_.find(token);
  if (it != by_token_.end() && it->second.get() == mailbox) by_token_.erase(it);
}

std::shared_ptr<PollMailbox> PollSessions::Find(const std::string& token) const {
  std::lock_guard lock(mutex_);
  auto it = by_token_.find(token);
  return it == by_token_.end() ? nullptr : it->second;
}

std::size_t PollSessions::size() const {
  std::lock_guard lock(mutex_);
  return by_token_.size();
}

}  // namespace im::access
