#include "client-cli/websocket_transport.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>

#include "common/str_cat.h"

namespace im::cli {
namespace {

constexpr std::size_t kMaxHandshakeBytes = 8 * 1024;
constexpr std::uint64_t kMaxMessageBytes = 16 << 20;
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

enum Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The value of header `name` (lowercase) in an HTTP response head, trimmed.
std::optional<std::string> HeaderValue(std::string_view head, std::string_view name) {
  std::size_t line = head.find("\r\n");
  while (line != std::string_view::npos && line + 2 < head.size()) {
    const std::size_t start = line + 2;
    const std::size_t end = std::min(head.find("\r\n", start), head.size());
    const std::string_view field = head.substr(start, end - start);
    const std::size_t colon = field.find(':');
    if (colon != std::string_view::npos && Lowercase(field.substr(0, colon)) == name) {
      std::string_view value = field.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      return std::string(value);
    }
    line = end;
  }
  return std::nullopt;
}

// Shuts `transport` down if not dismissed within `timeout_ms`: bounds a
// handshake made of blocking reads.
class Watchdog {
 public:
  Watchdog(ClientTransport& transport, int timeout_ms)
      : thread_([this, &transport, timeout_ms] {
          std::unique_lock lock(mutex_);
          if (!dismissed_changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                           [this] { return dismissed_; })) {
            fired_ = true;
            transport.Shutdown();
          }
        }) {}
  ~Watchdog() { Dismiss(); }

  // Stops the watch; returns whether it had already fired.
  bool Dismiss() {
    {
      std::lock_guard lock(mutex_);
      dismissed_ = true;
    }
    dismissed_changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable dismissed_changed_;
  bool dismissed_ = false;
  bool fired_ = false;
  std::thread thread_;
};

class WebSocket final : public ClientTransport {
 public:
  // `received` holds bytes the server sent after its handshake response.
  WebSocket(std::unique_ptr<ClientTransport> inner, std::string received)
      : inner_(std::move(inner)), in_(std::move(received)), mask_rng_(std::random_device{}()) {}

  std::size_t Receive(char* buffer, std::size_t size) override {
    while (out_pos_ == out_.size()) {
      if (!ReadMessage()) return 0;
    }
    const std::size_t n = std::min(size, out_.size() - out_pos_);
    std::copy_n(out_.data() + out_pos_, n, buffer);
    out_pos_ += n;
    return n;
  }

  absl::Status Send(std::string_view bytes) override {
    std::lock_guard lock(send_mutex_);
    unsent_.append(bytes);
    std::size_t taken = 0;
    while (unsent_.size() - taken >= 4) {
      const auto* h = reinterpret_cast<const unsigned char*>(unsent_.data() + taken);
      const std::size_t length = (std::size_t{h[0]} << 24) | (std::size_t{h[1]} << 16) |
                                 (std::size_t{h[2]} << 8) | std::size_t{h[3]};
      if (unsent_.size() - taken - 4 < length) break;
      const absl::Status sent =
          SendMessageLocked(kBinary, std::string_view(unsent_).substr(taken + 4, length));
      if (!sent.ok()) return sent;
      taken += 4 + length;
    }
    unsent_.erase(0, taken);
    return absl::OkStatus();
  }

  void Shutdown() override { inner_->Shutdown(); }
  bool encrypted() const override { return inner_->encrypted(); }

 private:
  // Reads frames until a whole binary message is in out_ (true), or the
  // stream ends (false).
  bool ReadMessage() {
    for (;;) {
      if (!Fill(2)) return false;
      const auto byte = [this](std::size_t i) { return static_cast<unsigned char>(in_[i]); };
      const bool fin = (byte(0) & 0x80) != 0;
      const auto opcode = static_cast<std::uint8_t>(byte(0) & 0x0f);
      const bool masked = (byte(1) & 0x80) != 0;
      std::uint64_t length = byte(1) & 0x7f;
      std::size_t header = 2;
      if (length == 126) {
        if (!Fill(4)) return false;
        length = (std::uint64_t{byte(2)} << 8) | byte(3);
        header = 4;
      } else if (length == 127) {
        if (!Fill(10)) return false;
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
        header = 10;
      }
      if (length > kMaxMessageBytes || message_.size() + length > kMaxMessageBytes) return false;
      const std::size_t mask_at = header;
      if (masked) header += 4;
      if (!Fill(header + length)) return false;
      std::string payload = in_.substr(header, length);
      if (masked) {
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] ^= in_[mask_at + i % 4];
      }
      in_.erase(0, header + length);
      switch (opcode) {
        case kPing: {
          std::lock_guard lock(send_mutex_);
          if (!SendMessageLocked(kPong, payload).ok()) return false;
          continue;
        }
        case kPong:
          continue;
        case kContinuation:
        case kBinary:
          message_ += payload;
          if (!fin) continue;
          out_.clear();
          out_pos_ = 0;
          for (int shift = 24; shift >= 0; shift -= 8) {
            out_.push_back(static_cast<char>((message_.size() >> shift) & 0xff));
          }
          out_ += message_;
          message_.clear();
          return true;
        default:  // close, text (the protocol is binary) or unknown
          return false;
      }
    }
  }

  // Reads from the server until in_ holds at least `n` bytes.
  bool Fill(std::size_t n) {
    char chunk[16 * 1024];
    while (in_.size() < n) {
      const std::size_t got = inner_->Receive(chunk, sizeof chunk);
      if (got == 0) return false;
      in_.append(chunk, got);
    }
    return true;
  }

  // One frame, FIN set, masked as a client's must be. Caller holds send_mutex_.
  absl::Status SendMessageLocked(std::uint8_t opcode, std::string_view payload) {
    std::string frame;
    frame.reserve(payload.size() + 14);
    frame.push_back(static_cast<char>(0x80 | opcode));
    if (payload.size() < 126) {
      frame.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() <= 0xffff) {
      frame.push_back(static_cast<char>(0x80 | 126));
      frame.push_back(static_cast<char>(payload.size() >> 8));
      frame.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
      frame.push_back(static_cast<char>(0x80 | 127));
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.push_back(static_cast<char>((std::uint64_t{payload.size()} >> shift) & 0xff));
      }
    }
    const std::uint32_t mask_word = mask_rng_();
    const char mask[4] = {static_cast<char>(mask_word >> 24), static_cast<char>(mask_word >> 16),
                          static_cast<char>(mask_word >> 8), static_cast<char>(mask_word)};
    frame.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) frame.push_back(payload[i] ^ mask[i % 4]);
    return inner_->Send(frame);
  }

  const std::unique_ptr<ClientTransport> inner_;
  // Reader thread only.
  std::string in_;       // bytes received, not yet parsed into frames
  std::string message_;  // fragments of a message not yet finished
  std::string out_;      // a message with its length prefix, being handed out
  std::size_t out_pos_ = 0;
  // Senders (and the reader's pongs).
  std::mutex send_mutex_;
  std::string unsent_;  // the start of a frame whose rest has not been given
  std::mt19937 mask_rng_;
};

}  // namespace

std::optional<WebSocketUrl> ParseWebSocketUrl(std::string_view address) {
  WebSocketUrl url;
  if (address.starts_with("wss://")) {
    url.secure = true;
    address.remove_prefix(6);
  } else if (address.starts_with("ws://")) {
    address.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = address.find('/');
  url.host_port = std::string(address.substr(0, slash));
  url.path = slash == std::string_view::npos ? "/" : std::string(address.substr(slash));
  return url;
}

std::string WebSocketAcceptFor(const std::string& key) {
  const std::string input = key + std::string(kAcceptGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr);
  return Base64(std::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<std::unique_ptr<ClientTransport>> WebSocketTransport(
    std::unique_ptr<ClientTransport> inner, const std::string& host_port, const std::string& path,
    int timeout_ms) {
  const auto failed = [&](const std::string& reason) {
    return absl::UnavailableError(
        common::StrCat("WebSocket upgrade at ", path, " failed: ", reason));
  };
  std::string nonce(16, '\0');
  std::random_device random;
  for (char& c : nonce) c = static_cast<char>(random());
  const std::string key = Base64(nonce);

  Watchdog watchdog(*inner, timeout_ms);
  const absl::Status sent = inner->Send(common::StrCat(
      "GET ", path, " HTTP/1.1\r\nHost: ", host_port,
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ", key,
      "\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  std::string received;
  std::size_t head_end = std::string::npos;
  char chunk[4096];
  while (sent.ok() && head_end == std::string::npos && received.size() < kMaxHandshakeBytes) {
    const std::size_t n = inner->Receive(chunk, sizeof chunk);
    if (n == 0) break;
    received.append(chunk, n);
    head_end = received.find("\r\n\r\n");
  }
  if (watchdog.Dismiss()) return failed(common::StrCat("no answer within ", timeout_ms, " ms"));
  if (!sent.ok()) return failed(std::string(sent.message()));
  if (head_end == std::string::npos) {
    return failed(received.empty() ? "the server closed the connection"
                                    : "the server's answer is not an HTTP response");
  }
  const std::string head = received.substr(0, head_end + 2);
  const std::string status_line = head.substr(0, head.find("\r\n"));
  if (!status_line.starts_with("HTTP/1.1 101")) return failed(status_line);
  if (HeaderValue(head, "sec-websocket-accept") != WebSocketAcceptFor(key)) {
    return failed("the server's Sec-WebSocket-Accept does not match the key");
  }
  return std::unique_ptr<ClientTransport>(
      std::make_unique<WebSocket>(std::move(inner), received.substr(head_end + 4)));
}

}  // namespace im::cli
