#include "access/connection.h"

#include <algorithm>
#include <array>

#include "access/connection_registry.h"
#include "access/login_admission.h"
#include "access/request_gateway.h"
#include "common/client_status.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/str_cat.h"

namespace im::access {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::int64_t kFlushGraceMs = 2000;

// Acks merged into one request cover at most this many conversations (what
// logic accepts in one ack).
constexpr std::size_t kMaxMergedAckConversations = 1000;

// Requests a connection may have in flight before it has logged in.
constexpr std::size_t kMaxPendingBeforeLogin = 4;

std::shared_ptr<spdlog::logger> Log() {
  static auto log = common::GetLogger("access");
  return log;
}

}  // namespace

ConnectionCounters::ConnectionCounters(common::Metrics* metrics)
    : frames_in(metrics->Counter("im_access_frames_total", "Client frames, by direction.",
                                 {{"direction", "in"}})),
      frames_out(metrics->Counter("im_access_frames_total", "Client frames, by direction.",
                                  {{"direction", "out"}})),
      bytes_in(metrics->Counter("im_access_bytes_total", "Client bytes, by direction.",
                                {{"direction", "in"}})),
      bytes_out(metrics->Counter("im_access_bytes_total", "Client bytes, by direction.",
                                 {{"direction", "out"}})),
      slow_consumers_cut(
          metrics->Counter("im_access_slow_consumers_cut_total",
                           "Connections kicked because max_queued_bytes of frames waited unread.")),
      reads_paused(metrics->Counter(
          "im_access_reads_paused_total",
          "Times a connection was not read for a while: it sent over max_bytes_per_second.")) {}

Connection::Connection(Socket socket, std::uint64_t conn_id, const ConnectionOptions& options,
                       RequestGateway* logic, ConnectionRegistry* registry,
                       LoginAdmission* admission)
    : stream_(std::move(socket), options.tls, options.websocket_path, options.max_frame_bytes,
              options.web_pages),
      conn_id_(conn_id),
      options_(options),
      logic_(logic),
      registry_(registry),
      admission_(admission) {
  started_ms_ = last_read_ms_ = SteadyNowMs();
  UpdateDeadline();
  boost::system::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_address_ = peer.address().to_string();
}

Connection::Connection(std::shared_ptr<PollMailbox> mailbox, std::string peer_address,
                       std::uint64_t conn_id, const ConnectionOptions& options,
                       RequestGateway* logic, ConnectionRegistry* registry,
                       LoginAdmission* admission)
    : stream_(std::move(mailbox)),
      conn_id_(conn_id),
      peer_address_(std::move(peer_address)),
      options_(options),
      logic_(logic),
      registry_(registry),
      admission_(admission) {
  started_ms_ = last_read_ms_ = SteadyNowMs();
  UpdateDeadline();
}

std::int64_t Connection::SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Connection::Start() {
  asio::post(stream_.get_executor(),
             [self = shared_from_this()] { self->Begin([self] { self->WaitReadable(); }); });
}

void Connection::Refuse(absl::Status status) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), status = std::move(status)] {
    Log()->warn("event=refused conn={} error=\"{}\"", self->conn_id_, status.message());
    // A refused connection is in no registry, so no deadline would end a TLS
    // handshake or WebSocket upgrade that never finishes: close it at once,
    // without a word.
    if (self->stream_.needs_handshake()) return self->Close("refused");
    self->Begin([self, status] { self->FailAndClose(status); });
  });
}

void Connection::Begin(std::function<void()> then) {
  stream_.Prepare();
  stream_.Handshake([self = shared_from_this(), then = std::move(then)](const error_code& ec) {
    if (self->closed_) return;
    if (ec && self->stream_.served_page()) return self->Close("web page served");
    if (ec) {
      const char* what = self->stream_.is_websocket() ? "websocket" : "tls";
      Log()->info("event={}_handshake_failed conn={} error=\"{}\"", what, self->conn_id_,
                  ec.message());
      return self->Close(self->stream_.is_websocket() ? "websocket handshake failed"
                                                      : "tls handshake failed");
    }
    self->handshake_done_ = true;
    self->UpdateDeadline();
    then();
  });
}

void Connection::CheckDeadline() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->OnDeadline(); });
}

void Connection::Deliver(std::uint64_t user_id, std::string encoded_frame) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), user_id, frame = std::move(encoded_frame)]() mutable {
               if (self->closing_ || self->closed_ || self->session_.user_id != user_id) return;
               self->QueueEncoded(std::move(frame));
             });
}

void Connection::ReadSession(std::function<void(std::uint64_t conn_id, const BoundSession&)> fn) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), fn = std::move(fn)] {
    fn(self->conn_id_, self->closing_ || self->closed_ ? BoundSession{} : self->session_);
  });
}

void Connection::AdoptRouteEpoch(std::uint64_t user_id, const std::string& device_id,
                                 std::uint64_t epoch) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), user_id, device_id, epoch] {
    if (!self->closing_ && !self->closed_ && self->session_.user_id == user_id &&
        self->session_.device_id == device_id && self->session_.route_epoch == 0) {
      self->session_.route_epoch = epoch;
      return;
    }
    internal::SessionContext gone = self->Session();
    gone.set_user_id(user_id);
    gone.set_device_id(device_id);
    gone.set_route_epoch(epoch);
    self->logic_->SessionClosed(std::move(gone));
  });
}

void Connection::Kick(std::uint64_t user_id, std::string reason, bool reconnect) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), user_id, reason = std::move(reason), reconnect] {
               if (self->closing_ || self->closed_) return;
               if (user_id != 0 && self->session_.user_id != user_id) return;
               Log()->info("event=kick conn={} uid={} reason=\"{}\"", self->conn_id_,
                           self->session_.user_id, reason);
               client::ServerFrame frame;
               frame.mutable_kick()->set_reason(reason);
               frame.mutable_kick()->set_reconnect(reconnect);
               self->Write(frame);
               self->CloseAfterFlush();
             });
}

void Connection::WaitReadable() {
  stream_.Read([self = shared_from_this()](const error_code& ec, std::string_view bytes) {
    self->OnReadable(ec, bytes);
  });
}

void Connection::OnReadable(const error_code& read_ec, std::string_view bytes) {
  if (closed_ || closing_) return;
  if (read_ec) {
    return Close(read_ec == asio::error::eof || read_ec == asio::ssl::error::stream_truncated
                     ? "peer closed"
                     : "read error");
  }
  const std::size_t n = bytes.size();
  last_read_ms_ = SteadyNowMs();
  options_.counters->bytes_in.Add(n);
  UpdateDeadline();
  if (!decoder_) {
    decoder_ = std::make_unique<common::FrameDecoder>(
        session_.user_id != 0 ? options_.max_frame_bytes : options_.max_login_frame_bytes);
  }
  decoder_->Append(bytes).IgnoreError();  // checked below
  while (!closing_ && decoder_->status().ok()) {
    auto body = decoder_->Next();
    if (!body) break;
    options_.counters->frames_in.Add();
    HandleBody(*body);
  }
  if (!decoder_->status().ok()) return OnBadFrame(decoder_->status());
  if (decoder_->buffered_bytes() == 0) decoder_.reset();  // nothing held while idle
  if (closing_ || closed_) return;
  if (const auto pause = ReadPause(n); pause.count() > 0) return PauseReading(pause);
  WaitReadable();
}

std::chrono::microseconds Connection::ReadPause(std::size_t n) {
  const std::size_t rate = options_.max_bytes_per_second;
  if (rate == 0) return std::chrono::microseconds(0);
  const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  const auto cost_us = static_cast<std::int64_t>(n * 1000000.0 / static_cast<double>(rate));
  read_paid_until_us_ = std::max(read_paid_until_us_, now_us) + cost_us;
  constexpr std::int64_t kBurstUs = 1000000;  // a second's worth may come at once
  return std::chrono::microseconds(
      std::max<std::int64_t>(0, read_paid_until_us_ - now_us - kBurstUs));
}

void Connection::PauseReading(std::chrono::microseconds pause) {
  options_.counters->reads_paused.Add();
  if (!read_pause_) read_pause_ = std::make_unique<asio::steady_timer>(stream_.get_executor());
  read_pause_->expires_after(pause);
  read_pause_->async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->closing_ || self->closed_) return;
    self->WaitReadable();
  });
}

void Connection::OnBadFrame(const absl::Status& status) {
  if (closing_ || closed_) return;
  Log()->warn("event=bad_frame conn={} error=\"{}\"", conn_id_, status.message());
  if (session_.user_id != 0) return FailAndClose(status);
  FailAndClose(absl::Status(status.code(), common::StrCat(status.message(), " before login")));
}

void Connection::HandleBody(std::string_view body) {
  client::ClientFrame frame;
  if (!frame.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    Log()->warn("event=malformed_frame conn={} bytes={}", conn_id_, body.size());
    return FailAndClose(absl::InvalidArgumentError("malformed frame"));
  }
  switch (frame.body_case()) {
    case client::ClientFrame::BODY_NOT_SET:
      return Respond(frame.req_id(), absl::UnimplementedError("unknown or empty request"));
    case client::ClientFrame::kPing: {
      client::ServerFrame pong;
      pong.set_req_id(frame.req_id());
      pong.mutable_pong()->set_server_time_ms(common::NowMs());
      return Write(pong);
    }
    default:
      return Forward(std::move(frame));
  }
}

void Connection::Forward(client::ClientFrame frame) {
  const std::uint64_t req_id = frame.req_id();
  // Before login a connection may keep only a few requests in flight: each
  // register or password login costs logic a password hash, and one stranger's
  // pipeline must not queue ahead of everyone else's logins.
  const std::size_t limit = session_.user_id != 0
                                ? options_.max_pending_requests
                                : std::min(options_.max_pending_requests, kMaxPendingBeforeLogin);
  if (pending_requests_ >= limit) {
    if (!std::exchange(warned_in_flight_, true)) {
      Log()->warn("event=too_many_in_flight conn={} uid={} max={}", conn_id_, session_.user_id,
                  limit);
    }
    return Respond(req_id, absl::ResourceExhaustedError(
                               common::StrCat("too many requests in flight (at most ", limit,
                                              session_.user_id != 0 ? "" : " before login",
                                              "); send again once an answer arrives")));
  }
  const bool is_login = frame.body_case() == client::ClientFrame::kLogin;
  if (is_login && login_in_flight_) {
    return Respond(req_id, absl::FailedPreconditionError("a login is already in progress"));
  }
  if (is_login) {
    if (absl::Status admitted = admission_->Admit(); !admitted.ok()) {
      return Respond(req_id, admitted);
    }
  }
  ++pending_requests_;
  if (login_in_flight_) {  // goes on once the login is answered, with its session
    held_.push_back(std::move(frame));
    return;
  }
  login_in_flight_ = is_login;
  if (frame.body_case() == client::ClientFrame::kAck && session_.user_id != 0) {
    return ForwardAck(std::move(frame));
  }
  Send(std::move(frame));
}

void Connection::ForwardAck(client::ClientFrame frame) {
  if (!ack_in_flight_) {
    ack_in_flight_ = true;
    const std::uint64_t req_id = frame.req_id();
    return SendAcks({req_id}, std::move(frame));
  }
  if (!queued_acks_) queued_acks_ = std::make_unique<QueuedAcks>();
  if (queued_acks_->latest.size() + static_cast<std::size_t>(frame.ack().acks_size()) >
      kMaxMergedAckConversations) {
    return Send(std::move(frame));  // too many to merge (or refused): on its own
  }
  for (const auto& a : frame.ack().acks()) {
    auto& seq = queued_acks_->latest[a.conv_id()];
    seq = std::max(seq, a.seq());
  }
  queued_acks_->req_ids.push_back(frame.req_id());
}

void Connection::SendAcks(std::vector<std::uint64_t> req_ids, client::ClientFrame frame) {
  ToLogic(std::move(frame),
          [self = shared_from_this(), req_ids = std::move(req_ids)](auto reply) mutable {
            self->OnAcksReply(req_ids, std::move(reply));
          });
}

void Connection::OnAcksReply(const std::vector<std::uint64_t>& req_ids,
                             absl::StatusOr<internal::HandleResponse> reply) {
  pending_requests_ -= req_ids.size();
  for (std::uint64_t req_id : req_ids) {
    if (closed_) break;
    if (!reply.ok()) {
      Respond(req_id, reply.status());
      continue;
    }
    client::ServerFrame answer = reply->frame();
    answer.set_req_id(req_id);
    Write(answer);
  }
  ack_in_flight_ = false;
  if (!queued_acks_) return;
  std::unique_ptr<QueuedAcks> queued = std::move(queued_acks_);
  if (closed_ || closing_) {  // nobody would read the answers
    pending_requests_ -= queued->req_ids.size();
    return;
  }
  client::ClientFrame merged;
  merged.set_req_id(queued->req_ids.front());
  for (const auto& [conv_id, seq] : queued->latest) {
    auto* a = merged.mutable_ack()->add_acks();
    a->set_conv_id(conv_id);
    a->set_seq(seq);
  }
  ack_in_flight_ = true;
  SendAcks(std::move(queued->req_ids), std::move(merged));
}

void Connection::Send(client::ClientFrame frame) {
  const std::uint64_t req_id = frame.req_id();
  const bool is_login = frame.body_case() == client::ClientFrame::kLogin;
  ToLogic(std::move(frame), [self = shared_from_this(), req_id, is_login](auto reply) mutable {
    if (is_login) {
      self->login_in_flight_ = false;
      self->admission_->Finished();
    }
    self->OnLogicReply(req_id, std::move(reply));
    if (is_login) self->ReleaseHeld();
  });
}

void Connection::ToLogic(client::ClientFrame frame, OnReply on_reply) {
  internal::HandleRequest request;
  *request.mutable_session() = Session();
  *request.mutable_frame() = std::move(frame);
  logic_->Handle(std::move(request), [self = shared_from_this(), on_reply = std::move(on_reply)](
                                         absl::StatusOr<internal::HandleResponse> reply) mutable {
    asio::post(self->stream_.get_executor(),
               [on_reply = std::move(on_reply), reply = std::move(reply)]() mutable {
                 on_reply(std::move(reply));
               });
  });
}

void Connection::OnLogicReply(std::uint64_t req_id,
                              absl::StatusOr<internal::HandleResponse> reply) {
  --pending_requests_;
  if (!reply.ok()) {
    if (!closed_) Respond(req_id, reply.status());
    return;
  }
  if (reply->has_bind()) {
    if (closed_ || closing_ || session_.user_id != 0) {
      // The connection went away while logic logged it in: undo the route.
      internal::SessionContext gone = Session();
      gone.set_user_id(reply->bind().user_id());
      gone.set_device_id(reply->bind().device_id());
      gone.set_route_epoch(reply->bind().route_epoch());
      logic_->SessionClosed(std::move(gone));
    } else {
      const auto& bind = reply->bind();
      session_ =
          BoundSession{bind.user_id(), bind.route_epoch(), bind.username(), bind.device_id()};
      if (decoder_) decoder_->set_max_frame_bytes(options_.max_frame_bytes);
      if (session_.route_epoch == 0) registry_->MarkRoutePending();
      Log()->info("event=bound conn={} uid={} device={} route={}", conn_id_, session_.user_id,
                  session_.device_id, session_.route_epoch == 0 ? "pending" : "registered");
      UpdateDeadline();  // the login deadline no longer applies
      if (reply->frame().has_login()) {
        // How often to ping: only this node knows its idle timeout.
        reply->mutable_frame()->mutable_login()->set_idle_timeout_ms(
            static_cast<std::uint32_t>(options_.idle_timeout.count()));
      }
    }
  }
  if (!closed_) Write(reply->frame());
}

void Connection::ReleaseHeld() {
  std::vector<client::ClientFrame> held;
  held.swap(held_);
  if (closed_ || closing_) {  // nobody would read the answers
    pending_requests_ -= held.size();
    return;
  }
  for (auto& frame : held) Send(std::move(frame));  // never a login: one is refused while one runs
}

void Connection::Respond(std::uint64_t req_id, const absl::Status& status) {
  client::ServerFrame frame;
  frame.set_req_id(req_id);
  common::SetClientStatus(status, frame.mutable_status());
  Write(frame);
}

void Connection::Write(const client::ServerFrame& frame) {
  QueueEncoded(common::EncodeFrame(frame));
}

void Connection::QueueEncoded(std::string encoded) {
  if (closed_) return;
  if (!output_) output_ = std::make_unique<Output>();
  if (output_->bytes + encoded.size() > options_.max_queued_bytes) {
    if (closing_) return;  // on its way out already: nothing more is needed
    return CutSlowConsumer();
  }
  output_->bytes += encoded.size();
  output_->queued.push_back(std::move(encoded));
  if (output_->writing.empty()) WriteNext();
}

void Connection::CutSlowConsumer() {
  Log()->warn("event=slow_consumer conn={} uid={} queued_bytes={}", conn_id_, session_.user_id,
              output_->bytes);
  options_.counters->slow_consumers_cut.Add(1);
  // Frames not yet handed to the socket are dropped, so memory is released at
  // once. Nothing is lost: each message in them is stored, and the client
  // syncs after it reconnects; an answer dropped with them is resent with
  // the same client id, as after any lost connection.
  for (const std::string& frame : output_->queued) output_->bytes -= frame.size();
  output_->queued.clear();
  client::ServerFrame kick;
  kick.mutable_kick()->set_reason(common::StrCat("this connection stopped reading: more than ",
                                                 options_.max_queued_bytes,
                                                 " bytes waited unsent; reconnect and sync"));
  kick.mutable_kick()->set_reconnect(true);
  std::string encoded = common::EncodeFrame(kick);
  output_->bytes += encoded.size();
  output_->queued.push_back(std::move(encoded));
  if (output_->writing.empty()) WriteNext();
  CloseAfterFlush();  // closed after the kick, or when the flush grace ends
}

void Connection::WriteNext() {
  if (output_->queued.empty()) {
    output_.reset();  // idle again: hold no buffers
    if (closing_) Close("closed by server");
    return;
  }
  output_->writing.swap(output_->queued);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(output_->writing.size());
  for (const auto& frame : output_->writing) buffers.push_back(asio::buffer(frame));
  stream_.Write(buffers, [self = shared_from_this()](const error_code& ec, std::size_t) {
    self->OnWritten(ec);
  });
}

void Connection::OnWritten(const error_code& ec) {
  if (closed_) return;
  if (ec) return Close("write error");
  std::size_t written = 0;
  for (const auto& frame : output_->writing) written += frame.size();
  output_->bytes -= written;
  options_.counters->frames_out.Add(output_->writing.size());
  options_.counters->bytes_out.Add(written);
  output_->writing.clear();
  WriteNext();
}

void Connection::UpdateDeadline() {
  std::int64_t deadline = last_read_ms_ + options_.idle_timeout.count();
  if (session_.user_id == 0) {
    deadline = std::min(deadline, started_ms_ + options_.login_timeout.count());
  }
  if (closing_) deadline = flush_deadline_ms_;
  if (!handshake_done_) deadline = started_ms_ + options_.handshake_timeout.count();
  deadline_ms_.store(deadline, std::memory_order_relaxed);
}

void Connection::OnDeadline() {
  if (closed_) return;
  const std::int64_t now = SteadyNowMs();
  if (!handshake_done_) {
    if (now >= started_ms_ + options_.handshake_timeout.count()) {
      const char* what = stream_.is_websocket() ? "websocket" : "tls";
      Log()->info("event={}_handshake_timeout conn={}", what, conn_id_);
      Close(stream_.is_websocket() ? "websocket handshake timeout" : "tls handshake timeout");
    }
    return;
  }
  if (closing_) {
    if (now >= flush_deadline_ms_) Close("flush timed out");
    return;
  }
  if (session_.user_id == 0 && now >= started_ms_ + options_.login_timeout.count()) {
    Log()->info("event=login_timeout conn={}", conn_id_);
    return FailAndClose(absl::DeadlineExceededError("login timeout"));
  }
  if (now >= last_read_ms_ + options_.idle_timeout.count()) {
    Log()->info("event=idle_timeout conn={} uid={}", conn_id_, session_.user_id);
    return FailAndClose(absl::DeadlineExceededError("idle timeout"));
  }
}

void Connection::FailAndClose(const absl::Status& status) {
  if (closing_ || closed_) return;
  client::ServerFrame frame;
  common::SetClientStatus(status, frame.mutable_status());
  Write(frame);
  CloseAfterFlush();
}

void Connection::CloseAfterFlush() {
  if (closed_) return;
  closing_ = true;
  if (!output_) return Close("closed by server");
  flush_deadline_ms_ = SteadyNowMs() + kFlushGraceMs;
  UpdateDeadline();
}

void Connection::Close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (read_pause_) read_pause_->cancel();
  stream_.Close();
  registry_->Remove(conn_id_, this);
  if (session_.user_id != 0) logic_->SessionClosed(Session());
  Log()->info("event=closed conn={} uid={} reason=\"{}\"", conn_id_, session_.user_id, reason);
}

internal::SessionContext Connection::Session() const {
  internal::SessionContext s;
  s.set_user_id(session_.user_id);
  s.set_username(session_.username);
  s.set_device_id(session_.device_id);
  s.set_route_epoch(session_.route_epoch);
  s.set_access_node_id(options_.node_id);
  s.set_access_endpoint(options_.push_endpoint);
  s.set_conn_id(conn_id_);
  if (session_.user_id == 0) s.set_peer_address(peer_address_);
  return s;
}

}  // namespace im::access
