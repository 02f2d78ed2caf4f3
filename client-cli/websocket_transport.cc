#include "client-cli/websocket_transport.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>

#include "common/str_cat.h"
#include "common/frame_codec.h"
#include "common/websocket_codec.h"

namespace im::cli {
namespace {

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
  WebSocket(std::unique_ptr<ClientTransport> inner, std::string_view received)
      : inner_(std::move(inner)), mask_rng_(std::random_device{}()) {
    decoder_.Append(received);
  }

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
    std::string frames;
    while (unsent_.size() - taken >= 4) {
      const auto* h = reinterpret_cast<const unsigned char*>(unsent_.data() + taken);
      const std::size_t length = (std::size_t{h[0]} << 24) | (std::size_t{h[1]} << 16) |
                                 (std::size_t{h[2]} << 8) | std::size_t{h[3]};
      if (unsent_.size() - taken - 4 < length) break;
      common::AppendWebSocketFrame(frames, common::kWsBinary,
                                   std::string_view(unsent_).substr(taken + 4, length),
                                   mask_rng_());
      taken += 4 + length;
    }
    unsent_.erase(0, taken);
    return frames.empty() ? absl::OkStatus() : inner_->Send(frames);
  }

  void Shutdown() override { inner_->Shutdown(); }
  bool encrypted() const override { return inner_->encrypted(); }

 private:
  // Reads until a whole binary message is in out_ (true), or the stream ends
  // (false): closed, failed, a close frame, a text message or bad framing.
  bool ReadMessage() {
    char chunk[16 * 1024];
    for (;;) {
      std::optional<common::WebSocketDecoder::Message> message = decoder_.Next();
      if (!message) {
        if (!decoder_.status().ok()) return false;
        const std::size_t got = inner_->Receive(chunk, sizeof chunk);
        if (got == 0) return false;
        decoder_.Append(std::string_view(chunk, got));
        continue;
      }
      switch (message->opcode) {
        case common::kWsPing: {
          std::lock_guard lock(send_mutex_);
          if (!inner_
                   ->Send(
                       common::EncodeWebSocketFrame(common::kWsPong, message->payload, mask_rng_()))
                   .ok()) {
            return false;
          }
          continue;
        }
        case common::kWsPong:
          continue;
        case common::kWsBinary:
          out_.clear();
          out_pos_ = 0;
          common::AppendFrame(out_, message->payload);
          return true;
        default:  // close, text (the protocol is binary) or unknown
          return false;
      }
    }
  }

  const std::unique_ptr<ClientTransport> inner_;
  // Reader thread only.
  common::WebSocketDecoder decoder_;
  std::string out_;  // a message with its length prefix, being handed out
  std::size_t out_pos_ = 0;
  // Senders (and the reader's pongs).
  std::mutex send_mutex_;
  std::string unsent_;  // the start of a frame whose rest has not been given
  std::mt19937 mask_rng_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ClientTransport>> WebSocketTransport(
    std::unique_ptr<ClientTransport> inner, const std::string& host_port, const std::string& path,
    int timeout_ms) {
  const auto failed = [&](absl::string_view reason) {
    return absl::UnavailableError(
        common::StrCat("WebSocket upgrade at ", path, " failed: ", reason));
  };
  const std::string key = common::NewWebSocketKey();
  Watchdog watchdog(*inner, timeout_ms);
  const absl::Status sent = inner->Send(common::WebSocketUpgradeRequest(host_port, path, key));
  std::string received;
  std::size_t head_bytes = 0;
  std::optional<absl::Status> answer;
  char chunk[4096];
  while (sent.ok() && !answer) {
    const std::size_t n = inner->Receive(chunk, sizeof chunk);
    if (n == 0) break;
    received.append(chunk, n);
    answer = common::CheckWebSocketUpgrade(received, key, &head_bytes);
  }
  if (watchdog.Dismiss()) return failed(common::StrCat("no answer within ", timeout_ms, " ms"));
  if (!sent.ok()) return failed(sent.message());
  if (!answer) {
    return failed(received.empty() ? "the server closed the connection"
                                   : "the server's answer is not an HTTP response");
  }
  if (!answer->ok()) return failed(answer->message());
  return std::unique_ptr<ClientTransport>(
      std::make_unique<WebSocket>(std::move(inner), std::string_view(received).substr(head_bytes)));
}

}  // namespace im::cli
