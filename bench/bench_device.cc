#include "bench/bench_device.h"

#include <time.h>

#include <charconv>

#include "common/client_status.h"
#include "common/str_cat.h"

namespace im::bench {
namespace {

constexpr std::uint32_t kSyncPage = 500;

absl::Status StatusOf(const client::ServerFrame& frame) {
  return common::FromClientStatus(frame.status());
}

}  // namespace

std::int64_t NowMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string MessageText(const std::string& tag, const std::string& sender, std::uint64_t n,
                        std::int64_t intended_us) {
  return common::StrCat(tag, " ", sender, " ", n, " ", intended_us);
}

std::int64_t IntendedMicros(const std::string& text, const std::string& tag,
                            const std::string& sender) {
  const std::string prefix = common::StrCat(tag, " ", sender, " ");
  if (text.rfind(prefix, 0) != 0) return -1;
  const auto space = text.find(' ', prefix.size());
  if (space == std::string::npos) return -1;
  std::int64_t us = -1;
  auto [end, ec] = std::from_chars(text.data() + space + 1, text.data() + text.size(), us);
  if (ec != std::errc() || end != text.data() + text.size()) return -1;
  return us;
}

void BenchDevice::Start(const ServerAddress& server,
                        const boost::asio::ip::address& source, Done done) {
  Drop();
  conn_ = BenchConnection::Create(io_);
  conn_->SetEventHandler([this](const client::ServerFrame& f) { OnEvent(f); });
  client::ClientFrame login;
  login.mutable_login()->set_protocol_version(1);
  login.mutable_login()->set_session_token(user_.token);
  auto conn = conn_;
  conn_->Connect(server, source, [this, conn, login = std::move(login), done](bool ok) mutable {
    if (!ok) return done(absl::UnavailableError("connect failed"));
    conn->Call(std::move(login), [this, conn, done](const client::ServerFrame& r) {
      if (absl::Status s = StatusOf(r); !s.ok()) return done(s);
      if (conn != conn_) return done(absl::CancelledError("dropped"));
      SyncNow(done);
    });
  });
}

std::string BenchDevice::Describe() const {
  std::string out = common::StrCat("user=", user_.name, " connected=", connected(),
                                   " synced=", synced_, " has(conv:contiguous)=");
  for (const auto& [conv, seq] : last_seq_) {
    out += common::StrCat(conv, ":", tracker_.contiguous(conv), "/confirmed ",
                          confirmed_.count(conv) ? confirmed_.at(conv) : 0, " ");
  }
  return out;
}

void BenchDevice::Record(OnMessage on_message, OnNotice on_notice) {
  recording_ = true;
  on_message_ = std::move(on_message);
  on_notice_ = std::move(on_notice);
}

void BenchDevice::Send(const client::SendMessageRequest& request,
                       BenchConnection::FrameHandler done) {
  client::ClientFrame frame;
  *frame.mutable_send_message() = request;
  if (conn_ == nullptr) {
    client::ServerFrame failed;
    failed.mutable_status()->set_code(14);
    return done(failed);
  }
  conn_->Call(std::move(frame), [this, done = std::move(done)](const client::ServerFrame& r) {
    // Its own message is not delivered back to it (DeliveryTracker::OfferOwn).
    if (r.has_send_message()) tracker_.OfferOwn(r.send_message().conv_id(), r.send_message().seq());
    done(r);
  });
}

void BenchDevice::Drop() {
  synced_ = false;  // what it has is checked again only after the next sync
  const bool retry_pending = retry_timer_ != nullptr;
  if (retry_pending) retry_timer_->cancel();
  retry_timer_.reset();
  if (conn_ != nullptr) {
    auto conn = std::move(conn_);
    conn->Close();  // fails pending calls: sync and ack waiters finish with an error
  }
  if (retry_pending && syncing_) FinishSync(absl::UnavailableError("connection dropped"));
}

void BenchDevice::OnEvent(const client::ServerFrame& frame) {
  if (frame.has_message()) return OnPushed(frame.message());
  if (frame.has_notice()) {
    if (recording_ && on_notice_) on_notice_(frame.notice(), NowMicros());
    if (tracker_.contiguous(frame.notice().conv_id()) < frame.notice().max_seq()) {
      SyncNow(nullptr, frame.notice().conv_id());
    }
  }
}

void BenchDevice::OnPushed(const client::ChatMessage& message) {
  switch (tracker_.OfferPush(message)) {
    case cli::DeliveryTracker::Verdict::kDeliver:
      Deliver(message);
      return Ack();
    case cli::DeliveryTracker::Verdict::kDuplicate:
      return;
    case cli::DeliveryTracker::Verdict::kNeedSync:
      // A push during a sync is ahead of a cursor the sync has not moved yet;
      // only one that opens a gap says the server pushed out of order.
      if (recording_ && !syncing_ && tracker_.contiguous(message.conv_id()) > 0) {
        ++counts_.pushed_ahead;
      }
      return SyncNow(nullptr);
  }
}

void BenchDevice::Deliver(const client::ChatMessage& message) {
  auto& last = last_seq_[message.conv_id()];
  if (!recording_) {
    last = message.seq();
    return;
  }
  ++counts_.delivered;
  if (!delivered_ids_.insert(message.msg_id()).second) ++counts_.duplicated;
  if (message.seq() <= last) ++counts_.reordered;
  last = message.seq();
  if (message.kind() == "system") return;  // group events, made by the server
  const std::int64_t intended = IntendedMicros(message.text(), tag_, message.sender());
  if (intended < 0) {
    ++counts_.unexpected;
    return;
  }
  if (on_message_) on_message_(message, intended, NowMicros());
}

void BenchDevice::SyncNow(Done done, std::uint64_t conv_id) {
  synced_ = false;  // until a sync asked for from now on reaches the end
  if (done) sync_waiters_.push_back(std::move(done));
  if (syncing_) {
    // Two different conversations asked for meanwhile: sync them all.
    again_conv_ = !sync_again_ || again_conv_ == conv_id ? conv_id : 0;
    sync_again_ = true;
    return;
  }
  syncing_ = true;
  sync_again_ = false;
  sync_conv_ = conv_id;
  AckThenSync();
}

void BenchDevice::AckThenSync() {
  // Acks first, so the server does not send those messages again.
  Ack([this](absl::Status acked) {
    if (!acked.ok()) return FinishSync(acked);
    SyncPage();
  });
}

void BenchDevice::SyncPage() {
  if (conn_ == nullptr) return FinishSync(absl::UnavailableError("not connected"));
  client::ClientFrame sync;
  sync.mutable_sync()->set_limit(kSyncPage);
  sync.mutable_sync()->set_conv_id(sync_conv_);
  // Only acks confirmed before the request went out bind its answer: an ack
  // racing the sync on this connection may land after the page was read.
  auto conn = conn_;
  conn_->Call(std::move(sync), [this, conn,
                                confirmed = confirmed_](const client::ServerFrame& page) {
    if (absl::Status s = StatusOf(page); !s.ok()) return FinishSync(s);
    bool progressed = false;
    for (const auto& m : page.sync().messages()) {
      if (auto it = confirmed.find(m.conv_id()); it != confirmed.end() && m.seq() <= it->second) {
        ++counts_.duplicated;  // the server sent again what this device acked
      }
      if (tracker_.OfferSynced(m) == cli::DeliveryTracker::Verdict::kDeliver) {
        Deliver(m);
        progressed = true;
      }
    }
    const bool more = page.sync().more();
    if (more && !progressed) return FinishSync(absl::InternalError("sync made no progress"));
    // The next page starts at the acked cursor: without the ack it would
    // repeat this one.
    Ack([this, more](absl::Status acked) {
      if (!acked.ok()) return FinishSync(acked);
      if (sync_again_) {
        // The next pages must cover what is left of this sync and what was
        // asked for meanwhile.
        sync_conv_ = !more || sync_conv_ == again_conv_ ? again_conv_ : 0;
        sync_again_ = false;
        return SyncPage();
      }
      if (more) return SyncPage();
      FinishSync(absl::OkStatus());
    });
  });
}

void BenchDevice::FinishSync(const absl::Status& status) {
  constexpr int kMaxSyncRetries = 30;
  if (!status.ok() && IsPassing(status) && connected() && sync_failures_ < kMaxSyncRetries) {
    retry_timer_ = std::make_shared<boost::asio::steady_timer>(io_, RetryPause(sync_failures_++));
    retry_timer_->async_wait([this, timer = retry_timer_](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled by Drop: the device may be going away
      retry_timer_.reset();
      AckThenSync();
    });
    return;
  }
  sync_failures_ = 0;
  syncing_ = false;
  synced_ = status.ok();
  auto waiters = std::move(sync_waiters_);
  sync_waiters_.clear();
  for (auto& w : waiters) w(status);
}

void BenchDevice::Ack(std::function<void(absl::Status)> then) {
  if (then) ack_waiters_.push_back(std::move(then));
  if (ack_in_flight_) {
    ack_again_ = true;
    return;
  }
  auto finish = [this](const absl::Status& status) {
    auto waiters = std::move(ack_waiters_);
    ack_waiters_.clear();
    for (auto& w : waiters) w(status);
  };
  auto acks = tracker_.TakeAcks();
  if (acks.empty()) return finish(absl::OkStatus());
  if (conn_ == nullptr) {
    tracker_.Unack(acks);
    return finish(absl::UnavailableError("not connected"));
  }
  client::ClientFrame frame;
  for (const auto& a : acks) *frame.mutable_ack()->add_acks() = a;
  ack_in_flight_ = true;
  conn_->Call(std::move(frame), [this, acks, finish](const client::ServerFrame& r) {
    ack_in_flight_ = false;
    const absl::Status status = StatusOf(r);
    if (status.ok()) {
      for (const auto& a : acks) {
        auto& c = confirmed_[a.conv_id()];
        c = std::max(c, a.seq());
      }
    } else {
      tracker_.Unack(acks);  // sent again with the next ack
      ack_again_ = false;
      return finish(status);
    }
    if (ack_again_) {
      ack_again_ = false;
      return Ack();  // the waiters wait for this one too
    }
    finish(absl::OkStatus());
  });
}

}  // namespace im::bench
