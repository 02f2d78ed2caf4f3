#include "common/websocket_codec.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <random>

#include "common/str_cat.h"

namespace im::common {
namespace {

constexpr std::size_t kMaxHandshakeBytes = 8 * 1024;
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

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

std::string_view Trimmed(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// The value of header `name` (lowercase) in an HTTP response head.
std::optional<std::string> HeaderValue(std::string_view head, std::string_view name) {
  std::size_t line = head.find("\r\n");
  while (line != std::string_view::npos && line + 2 < head.size()) {
    const std::size_t start = line + 2;
    const std::size_t end = std::min(head.find("\r\n", start), head.size());
    const std::string_view field = head.substr(start, end - start);
    const std::size_t colon = field.find(':');
    if (colon != std::string_view::npos && Lowercase(field.substr(0, colon)) == name) {
      return std::string(Trimmed(field.substr(colon + 1)));
    }
    line = end;
  }
  return std::nullopt;
}

}  // namespace

std::string NewWebSocketKey() {
  std::string nonce(16, '\0');
  std::random_device random;
  for (char& c : nonce) c = static_cast<char>(random());
  return Base64(nonce);
}

std::string WebSocketAcceptFor(std::string_view key) {
  const std::string input = std::string(key) + std::string(kAcceptGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr);
  return Base64(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string WebSocketUpgradeRequest(const std::string& host_port, const std::string& path,
                                    const std::string& key) {
  return common::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host_port,
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ", key,
                        "\r\nSec-WebSocket-Version: 13\r\n\r\n");
}

std::string WebSocketUpgradeAnswer(std::string_view key) {
  return common::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      WebSocketAcceptFor(key), "\r\n\r\n");
}

std::optional<absl::Status> CheckWebSocketUpgrade(std::string_view received, const std::string& key,
                                                  std::size_t* head_bytes) {
  const std::size_t end = received.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (received.size() < kMaxHandshakeBytes) return std::nullopt;
    return absl::UnavailableError("the server's answer is not an HTTP response");
  }
  const std::string_view head = received.substr(0, end + 2);
  const std::string_view status_line = head.substr(0, head.find("\r\n"));
  if (!status_line.starts_with("HTTP/1.1 101")) {
    return absl::UnavailableError(std::string(status_line));
  }
  if (HeaderValue(head, "sec-websocket-accept") != WebSocketAcceptFor(key)) {
    return absl::UnavailableError("the server's Sec-WebSocket-Accept does not match the key");
  }
  *head_bytes = end + 4;
  return absl::OkStatus();
}

namespace {

// The header of a frame with FIN set; `mask_bit` 0x80 for a masked one.
void AppendHeader(std::string& out, std::uint8_t opcode, std::size_t length, unsigned mask_bit) {
  out.push_back(static_cast<char>(0x80 | opcode));
  if (length < 126) {
    out.push_back(static_cast<char>(mask_bit | length));
  } else if (length <= 0xffff) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((std::uint64_t{length} >> shift) & 0xff));
    }
  }
}

}  // namespace

void AppendServerWebSocketFrame(std::string& out, std::uint8_t opcode, std::string_view payload) {
  AppendHeader(out, opcode, payload.size(), 0);
  out.append(payload);
}

void AppendWebSocketFrame(std::string& out, std::uint8_t opcode, std::string_view payload,
                          std::uint32_t mask) {
  AppendHeader(out, opcode, payload.size(), 0x80);
  const char key[4] = {static_cast<char>(mask >> 24), static_cast<char>(mask >> 16),
                       static_cast<char>(mask >> 8), static_cast<char>(mask)};
  out.append(key, 4);
  const std::size_t at = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) out[at + i] ^= key[i % 4];
}

std::string EncodeWebSocketFrame(std::uint8_t opcode, std::string_view payload,
                                 std::uint32_t mask) {
  std::string out;
  out.reserve(payload.size() + 14);
  AppendWebSocketFrame(out, opcode, payload, mask);
  return out;
}

void WebSocketDecoder::Append(std::string_view bytes) {
  if (!status_.ok()) return;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<WebSocketDecoder::Message> WebSocketDecoder::Next() {
  while (status_.ok()) {
    const std::string_view in = std::string_view(buffer_).substr(consumed_);
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
    if (in.size() < 2) return std::nullopt;
    const bool fin = (byte(0) & 0x80) != 0;
    const auto opcode = static_cast<std::uint8_t>(byte(0) & 0x0f);
    const bool masked = (byte(1) & 0x80) != 0;
    std::uint64_t length = byte(1) & 0x7f;
    std::size_t header = 2;
    if (length == 126) {
      if (in.size() < 4) return std::nullopt;
      length = (std::uint64_t{byte(2)} << 8) | byte(3);
      header = 4;
    } else if (length == 127) {
      if (in.size() < 10) return std::nullopt;
      length = 0;
      for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
      header = 10;
    }
    const bool control = (opcode & 0x8) != 0;
    if (require_masked_ && !masked) {
      status_ = absl::InvalidArgumentError("an unmasked frame from a client");
      return std::nullopt;
    }
    if (length > max_message_bytes_ || fragments_.size() + length > max_message_bytes_) {
      status_ = absl::ResourceExhaustedError("WebSocket message too large");
      return std::nullopt;
    }
    if ((control && !fin) || (opcode == kWsContinuation && fragments_opcode_ == 0) ||
        (!control && opcode != kWsContinuation && fragments_opcode_ != 0)) {
      status_ = absl::InvalidArgumentError("WebSocket fragments out of order");
      return std::nullopt;
    }
    const std::size_t mask_at = header;
    if (masked) header += 4;
    if (in.size() < header + length) return std::nullopt;
    std::string payload(in.substr(header, length));
    if (masked) {
      for (std::size_t i = 0; i < payload.size(); ++i) payload[i] ^= in[mask_at + i % 4];
    }
    consumed_ += header + length;
    if (consumed_ == buffer_.size()) {
      std::string().swap(buffer_);  // all taken: hold no buffer while idle
      consumed_ = 0;
    }
    if (control) return Message{opcode, std::move(payload)};
    if (fin && fragments_opcode_ == 0) return Message{opcode, std::move(payload)};
    if (fragments_opcode_ == 0) fragments_opcode_ = opcode;
    fragments_ += payload;
    if (fin) {
      Message whole{fragments_opcode_, std::move(fragments_)};
      std::string().swap(fragments_);
      fragments_opcode_ = 0;
      return whole;
    }
  }
  return std::nullopt;
}

}  // namespace im::common
