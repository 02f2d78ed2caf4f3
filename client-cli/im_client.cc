#include "client-cli/im_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "client-cli/poll_transport.h"
#include "client-cli/websocket_transport.h"
#include "common/client_status.h"
#include "common/frame_codec.h"
#include "common/str_cat.h"

namespace im::cli {
namespace {

constexpr std::uint64_t kHeartbeatReqIdBit = std::uint64_t{1} << 63;

// Connects with a timeout to host:port; returns the fd or -1.
int ConnectTcp(const std::string& host, const std::string& port, milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    bool connected = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!connected && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      connected = poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
                  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    if (!connected) {
      close(fd);
      fd = -1;
      continue;
    }
    fcntl(fd, F_SETFL, 0);  // back to blocking mode for the reader thread
  }
  freeaddrinfo(found);
  return fd;
}

}  // namespace

namespace {

// A stream to `host`:`port`, TLS when `secure` (the certificate verified
// against `tls`'s CA, naming `host`). Nothing if nobody accepts there (the
// caller tries its next address); an error if the TLS handshake fails.
absl::StatusOr<std::unique_ptr<ClientTransport>> OpenStream(std::string host,
                                                            const std::string& port, bool secure,
                                                            const TlsOptions& tls,
                                                            milliseconds timeout) {
  const int fd = ConnectTcp(host, port, timeout);
  if (fd < 0) return std::unique_ptr<ClientTransport>();
  if (!secure) return PlainTransport(fd);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]
  }
  return TlsTransport(fd, host, tls, static_cast<int>(timeout.count()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ImClient>> ImClient::Connect(const std::string& addresses,
                                                            milliseconds timeout,
                                                            const TlsOptions& tls) {
  std::vector<std::string> tried;
  for (std::size_t start = 0; start <= addresses.size();) {
    const std::size_t comma = std::min(addresses.find(',', start), addresses.size());
    const std::string address = addresses.substr(start, comma - start);
    start = comma + 1;
    const std::optional<WebSocketUrl> websocket = ParseWebSocketUrl(address);
    const std::optional<PollUrl> long_poll = ParsePollUrl(address);
    const std::string host_port =
        websocket ? websocket->host_port : long_poll ? long_poll->host_port : address;
    const auto colon = host_port.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
      return absl::InvalidArgumentError(
          common::StrCat("server address \"", address,
                         "\" is not HOST:PORT (or ws://HOST:PORT/PATH, http://HOST:PORT/PATH)"));
    }
    const std::string host = host_port.substr(0, colon);
    const std::string port = host_port.substr(colon + 1);
    const bool secure =
        tls.enabled || (websocket && websocket->secure) || (long_poll && long_poll->secure);
    // A server that fails the TLS handshake is not tried past: its
    // certificate is wrong, and the user must hear of it.
    auto transport = OpenStream(host, port, secure, tls, timeout);
    if (!transport.ok()) return transport.status();
    if (*transport == nullptr) {
      tried.push_back(address);
      continue;
    }
    if (long_poll) {
      // Long-poll opens more connections to the same server as it needs them.
      Connector connect = [host, port, secure, tls,
                           timeout]() -> absl::StatusOr<std::unique_ptr<ClientTransport>> {
        auto stream = OpenStream(host, port, secure, tls, timeout);
        if (stream.ok() && *stream == nullptr) {
          return absl::UnavailableError(common::StrCat("server unreachable at ", host, ":", port));
        }
        return stream;
      };
      *transport = PollTransport(std::move(connect), *long_poll, std::move(*transport));
    }
    if (websocket) {
      // So is one that refuses the upgrade: the path is wrong.
      auto upgraded = WebSocketTransport(std::move(*transport), host_port, websocket->path,
                                         static_cast<int>(timeout.count()));
      if (!upgraded.ok()) return upgraded.status();
      *transport = std::move(*upgraded);
    }
    return std::unique_ptr<ImClient>(new ImClient(std::move(*transport)));
  }
  std::string list;
  for (const auto& a : tried) list += (list.empty() ? "" : ", ") + a;
  return absl::UnavailableError(common::StrCat("server unreachable at ", list));
}

ImClient::ImClient(std::unique_ptr<ClientTransport> transport) : transport_(std::move(transport)) {
  reader_ = std::thread([this] { ReadLoop(); });
}

ImClient::~ImClient() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  transport_->Shutdown();
  if (heartbeat_.joinable()) heartbeat_.join();
  reader_.join();
}

void ImClient::ReadLoop() {
  common::FrameDecoder decoder(64 << 20);
  char buffer[64 * 1024];
  std::string first_bytes;  // until a frame comes: for a hint if none does
  bool any_frame = false;
  for (;;) {
    const std::size_t n = transport_->Receive(buffer, sizeof buffer);
    if (n == 0) break;
    if (!any_frame && first_bytes.size() < 8) {
      first_bytes.append(buffer, std::min<std::size_t>(n, 8 - first_bytes.size()));
    }
    if (!decoder.Append(std::string_view(buffer, n)).ok()) break;
    while (auto body = decoder.Next()) {
      any_frame = true;
      client::ServerFrame frame;
      if (!frame.ParseFromArray(body->data(), static_cast<int>(body->size()))) continue;
      std::function<void()> notify;
      {
        std::lock_guard lock(mutex_);
        if (frame.req_id() & kHeartbeatReqIdBit) continue;
        if (frame.req_id() != 0) {
          responses_[frame.req_id()] = std::move(frame);
        } else {
          if (frame.status().code() != 0) close_status_ = common::FromClientStatus(frame.status());
          events_.push_back(std::move(frame));
          notify = notify_;
        }
      }
      changed_.notify_all();
      if (notify) notify();
    }
  }
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    open_ = false;
    if (!any_frame && !stopping_ && !transport_->encrypted() && close_status_.ok()) {
      if (std::string hint = TlsPortHint(first_bytes); !hint.empty()) {
        close_status_ = absl::UnavailableError(hint);
      }
    }
    notify = notify_;
  }
  changed_.notify_all();
  if (notify) notify();
}

absl::Status ImClient::SendRaw(std::string_view bytes) {
  std::lock_guard lock(write_mutex_);
  return transport_->Send(bytes);
}

absl::StatusOr<client::ServerFrame> ImClient::Call(client::ClientFrame frame,
                                                   milliseconds timeout) {
  std::vector<client::ClientFrame> one;
  one.push_back(std::move(frame));
  auto responses = CallAll(std::move(one), timeout);
  if (!responses.ok()) return responses.status();
  return std::move(responses->front());
}

absl::StatusOr<std::vector<client::ServerFrame>> ImClient::CallAll(
    std::vector<client::ClientFrame> frames, milliseconds timeout) {
  std::vector<std::uint64_t> req_ids;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < frames.size(); ++i) req_ids.push_back(next_req_id_++);
  }
  std::string bytes;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    frames[i].set_req_id(req_ids[i]);
    bytes += common::EncodeFrame(frames[i]);
  }
  if (auto s = SendRaw(bytes); !s.ok()) return s;
  std::unique_lock lock(mutex_);
  auto all_in = [&] {
    for (std::uint64_t id : req_ids) {
      if (responses_.count(id) == 0) return false;
    }
    return true;
  };
  const bool done =
      changed_.wait_for(lock, timeout, [&] { return all_in() || !open_ || stopping_; });
  if (all_in()) {
    std::vector<client::ServerFrame> out;
    for (std::uint64_t id : req_ids) {
      auto it = responses_.find(id);
      out.push_back(std::move(it->second));
      responses_.erase(it);
    }
    return out;
  }
  for (std::uint64_t id : req_ids) responses_.erase(id);
  if (!done) return absl::DeadlineExceededError("no response from the server in time");
  if (!close_status_.ok()) {
    return absl::UnavailableError(
        common::StrCat("connection closed by the server: ", close_status_.message()));
  }
  return absl::UnavailableError("connection closed by the server");
}

absl::StatusOr<client::ServerFrame> ImClient::Request(client::ClientFrame frame,
                                                      milliseconds timeout) {
  auto response = Call(std::move(frame), timeout);
  if (!response.ok()) return response.status();
  if (absl::Status s = common::FromClientStatus(response->status()); !s.ok()) return s;
  return response;
}

absl::StatusOr<client::ServerFrame> ImClient::NextEvent(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !events_.empty() || !open_ || stopping_; });
  if (!events_.empty()) {
    client::ServerFrame event = std::move(events_.front());
    events_.pop_front();
    return event;
  }
  if (!open_) return absl::UnavailableError("connection closed");
  return absl::DeadlineExceededError("no event in time");
}

void ImClient::SetEventNotifier(std::function<void()> notify) {
  std::lock_guard lock(mutex_);
  notify_ = std::move(notify);
}

void ImClient::StartHeartbeat() {
  milliseconds interval(20000);
  if (server_idle_timeout_.count() > 0) {
    interval = std::clamp(server_idle_timeout_ / 3, milliseconds(100), interval);
  }
  StartHeartbeat(interval);
}

void ImClient::StartHeartbeat(milliseconds interval) {
  heartbeat_ = std::thread([this, interval] { HeartbeatLoop(interval); });
}

void ImClient::HeartbeatLoop(milliseconds interval) {
  for (std::uint64_t n = 1;; ++n) {
    {
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, interval, [&] { return stopping_ || !open_; })) return;
    }
    client::ClientFrame ping;
    ping.set_req_id(kHeartbeatReqIdBit | n);
    ping.mutable_ping();
    if (!SendRaw(common::EncodeFrame(ping)).ok()) return;
  }
}

bool ImClient::connected() const {
  std::lock_guard lock(mutex_);
  return open_;
}

absl::Status ImClient::close_status() const {
  std::lock_guard lock(mutex_);
  return close_status_;
}

absl::StatusOr<client::RegisterResponse> ImClient::Register(const std::string& username,
                                                            const std::string& password) {
  client::ClientFrame frame;
  frame.mutable_register_user()->set_username(username);
  frame.mutable_register_user()->set_password(password);
  auto response = Request(std::move(frame));
  if (!response.ok()) return response.status();
  return response->register_user();
}

absl::StatusOr<client::LoginResponse> ImClient::Login(const std::string& username,
                                                      const std::string& password,
                                                      const std::string& device_id) {
  client::ClientFrame frame;
  auto* login = frame.mutable_login();
  login->set_protocol_version(1);
  login->set_username(username);
  login->set_password(password);
  login->set_device_id(device_id);
  return LogIn(std::move(frame));
}

absl::StatusOr<client::LoginResponse> ImClient::LoginWithToken(const std::string& username,
                                                               const std::string& token,
                                                               const std::string& device_id) {
  client::ClientFrame frame;
  auto* login = frame.mutable_login();
  login->set_protocol_version(1);
  login->set_username(username);
  login->set_session_token(token);
  login->set_device_id(device_id);
  return LogIn(std::move(frame));
}

absl::StatusOr<client::LoginResponse> ImClient::LogIn(client::ClientFrame frame) {
  auto response = Request(std::move(frame));
  if (!response.ok()) return response.status();
  server_idle_timeout_ = milliseconds(response->login().idle_timeout_ms());
  return response->login();
}

absl::Status ImClient::Logout(const std::string& token) {
  client::ClientFrame frame;
  frame.mutable_logout()->set_session_token(token);
  return Request(std::move(frame)).status();
}

absl::StatusOr<client::SendMessageResponse> ImClient::SendText(const std::string& to_user,
                                                               const std::string& text,
                                                               const std::string& client_msg_id) {
  client::ClientFrame frame;
  frame.mutable_send_message()->set_to_user(to_user);
  return SendMessage(std::move(frame), text, client_msg_id);
}

absl::StatusOr<client::SendMessageResponse> ImClient::SendGroupText(
    std::uint64_t group_id, const std::string& text, const std::string& client_msg_id) {
  client::ClientFrame frame;
  frame.mutable_send_message()->set_group_id(group_id);
  return SendMessage(std::move(frame), text, client_msg_id);
}

absl::StatusOr<client::SendMessageResponse> ImClient::SendMessage(
    client::ClientFrame frame, const std::string& text, const std::string& client_msg_id) {
  auto* send = frame.mutable_send_message();
  send->set_text(text);
  send->set_client_msg_id(client_msg_id.empty() ? NewClientMessageId() : client_msg_id);
  auto response = Request(std::move(frame));
  if (!response.ok()) return response.status();
  return response->send_message();
}

std::string NewClientMessageId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (auto& c : id) c = kHex[rng() % 16];
  return id;
}

}  // namespace im::cli
