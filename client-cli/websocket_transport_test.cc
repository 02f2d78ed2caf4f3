// WebSocketTransport over a scripted stream standing in for the server: the
// upgrade (refused, mismatched, silent), the framing both ways (fragments,
// extended lengths, masking, frames split across Sends), pings answered, and
// the ways a stream ends.

#include "client-cli/websocket_transport.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>

#include "common/websocket_codec.h"

namespace im::cli {
namespace {

using std::chrono::milliseconds;

// The server's side of a stream. `answer` sees each chunk the client sends
// and returns bytes for the client to receive; Receive blocks until there are
// some, or the script ran out (`close_when_empty`), or Shutdown.
class ScriptedServer final : public ClientTransport {
 public:
  using Answer = std::function<std::string(std::string_view sent)>;
  ScriptedServer(Answer answer, bool close_when_empty)
      : answer_(std::move(answer)), close_when_empty_(close_when_empty) {}

  std::size_t Receive(char* buffer, std::size_t size) override {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !inbound_.empty() || shut_down_ || close_when_empty_; });
    const std::size_t n = std::min(size, inbound_.size());
    inbound_.copy(buffer, n);
    inbound_.erase(0, n);
    return n;
  }
  absl::Status Send(std::string_view bytes) override {
    std::lock_guard lock(mutex_);
    if (shut_down_) return absl::UnavailableError("connection lost: closed");
    sent_.append(bytes);
    inbound_ += answer_(bytes);
    changed_.notify_all();
    return absl::OkStatus();
  }
  void Shutdown() override {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    changed_.notify_all();
  }
  bool encrypted() const override { return false; }

  // What the client sent after its upgrade request.
  std::string SentAfterUpgrade() {
    std::lock_guard lock(mutex_);
    return sent_.substr(sent_.find("\r\n\r\n") + 4);
  }

 private:
  Answer answer_;
  const bool close_when_empty_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string inbound_, sent_;
  bool shut_down_ = false;
};

// A server frame (unmasked) with FIN set or not.
std::string ServerFrame(std::uint8_t opcode, const std::string& payload, bool fin = true) {
  std::string frame(1, static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else {
    frame.push_back(126);
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  }
  return frame + payload;
}

// The key's line in an upgrade request.
std::string KeyIn(std::string_view request) {
  const std::string_view name = "Sec-WebSocket-Key: ";
  const std::size_t at = request.find(name) + name.size();
  return std::string(request.substr(at, request.find("\r\n", at) - at));
}

std::string SwitchingProtocols(std::string_view request) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "sec-websocket-accept:  " +
         common::WebSocketAcceptFor(KeyIn(request)) + "\r\n\r\n";
}

// A length-prefixed frame, as ImClient writes and reads them.
std::string Prefixed(const std::string& body) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((body.size() >> shift) & 0xff));
  }
  return out + body;
}

struct ClientFrame {
  std::uint8_t opcode;
  bool fin;
  std::string payload;
};

// Decodes the client frames in `bytes`; each must be masked.
std::vector<ClientFrame> DecodeClientFrames(std::string bytes) {
  std::vector<ClientFrame> frames;
  while (!bytes.empty()) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    EXPECT_NE(b(1) & 0x80, 0) << "a client frame must be masked";
    std::size_t length = b(1) & 0x7f, header = 2;
    if (length == 126) {
      length = (std::size_t{b(2)} << 8) | b(3);
      header = 4;
    } else if (length == 127) {
      length = 0;
      for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | b(i);
      header = 10;
    }
    std::string payload = bytes.substr(header + 4, length);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] ^= bytes[header + i % 4];
    frames.push_back({static_cast<std::uint8_t>(b(0) & 0x0f), (b(0) & 0x80) != 0, payload});
    bytes.erase(0, header + 4 + length);
  }
  return frames;
}

std::string ReceiveAll(ClientTransport& transport) {
  std::string out;
  char buffer[100];  // small, so a message is handed out in several pieces
  while (std::size_t n = transport.Receive(buffer, sizeof buffer)) out.append(buffer, n);
  return out;
}

TEST(WebSocketTransportTest, TheAcceptKeyIsTheOneInRfc6455) {
  EXPECT_EQ(common::WebSocketAcceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketTransportTest, UrlsNameHostPortPathAndTls) {
  auto url = ParseWebSocketUrl("ws://127.0.0.1:7400/im");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host_port, "127.0.0.1:7400");
  EXPECT_EQ(url->path, "/im");
  EXPECT_FALSE(url->secure);
  url = ParseWebSocketUrl("wss://chat.example:443");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host_port, "chat.example:443");
  EXPECT_EQ(url->path, "/");
  EXPECT_TRUE(url->secure);
  EXPECT_FALSE(ParseWebSocketUrl("127.0.0.1:7000").has_value());
  EXPECT_FALSE(ParseWebSocketUrl("http://127.0.0.1:7000/im").has_value());
}

TEST(WebSocketTransportTest, MessagesComeOutLengthPrefixedAndPingsAreAnswered) {
  const std::string big(300, 'b');  // a 16-bit length
  auto server = std::make_unique<ScriptedServer>(
      [&](std::string_view sent) {
        if (!sent.starts_with("GET ")) return std::string();
        // Fragments of one message with a ping between them, then a small one.
        return SwitchingProtocols(sent) + ServerFrame(0x2, big.substr(0, 120), false) +
               ServerFrame(0x9, "are you there") + ServerFrame(0x0, big.substr(120)) +
               ServerFrame(0x2, "small");
      },
      /*close_when_empty=*/true);
  ScriptedServer& raw = *server;
  auto ws = WebSocketTransport(std::move(server), "127.0.0.1:1", "/im", 1000);
  ASSERT_TRUE(ws.ok()) << ws.status();
  EXPECT_EQ(ReceiveAll(**ws), Prefixed(big) + Prefixed("small"));
  const auto sent = DecodeClientFrames(raw.SentAfterUpgrade());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].opcode, 0xA) << "a pong";
  EXPECT_EQ(sent[0].payload, "are you there");
}

TEST(WebSocketTransportTest, EachFrameIsSentAsOneMaskedBinaryMessageWhereverTheBytesSplit) {
  auto server = std::make_unique<ScriptedServer>(
      [](std::string_view sent) {
        return sent.starts_with("GET ") ? SwitchingProtocols(sent) : std::string();
      },
      /*close_when_empty=*/false);
  ScriptedServer& raw = *server;
  auto ws = WebSocketTransport(std::move(server), "127.0.0.1:1", "/im", 1000);
  ASSERT_TRUE(ws.ok()) << ws.status();
  const std::string large(70000, 'x');  // a 64-bit length
  const std::string stream = Prefixed("one") + Prefixed(std::string(200, 't')) + Prefixed(large);
  ASSERT_TRUE((*ws)->Send(stream.substr(0, 5)).ok());
  EXPECT_EQ(raw.SentAfterUpgrade(), "") << "no whole frame yet";
  ASSERT_TRUE((*ws)->Send(stream.substr(5, 300)).ok());
  ASSERT_TRUE((*ws)->Send(stream.substr(305)).ok());
  const auto sent = DecodeClientFrames(raw.SentAfterUpgrade());
  ASSERT_EQ(sent.size(), 3u);
  for (const auto& frame : sent) {
    EXPECT_EQ(frame.opcode, 0x2);
    EXPECT_TRUE(frame.fin);
  }
  EXPECT_EQ(sent[0].payload, "one");
  EXPECT_EQ(sent[1].payload, std::string(200, 't'));
  EXPECT_EQ(sent[2].payload, large);
}

TEST(WebSocketTransportTest, ARefusedUpgradeSaysWhatTheServerAnswered) {
  auto server = std::make_unique<ScriptedServer>(
      [](std::string_view) { return std::string("HTTP/1.1 404 Not Found\r\n\r\n"); }, true);
  auto ws = WebSocketTransport(std::move(server), "127.0.0.1:1", "/chat", 1000);
  ASSERT_FALSE(ws.ok());
  EXPECT_EQ(ws.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ws.status().message(), "WebSocket upgrade at /chat failed: HTTP/1.1 404 Not Found");
}

TEST(WebSocketTransportTest, AnAcceptKeyThatDoesNotMatchIsRefused) {
  auto server = std::make_unique<ScriptedServer>(
      [](std::string_view) {
        return std::string(
            "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: "
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
      },
      true);
  auto ws = WebSocketTransport(std::move(server), "127.0.0.1:1", "/im", 1000);
  ASSERT_FALSE(ws.ok());
  EXPECT_NE(ws.status().message().find("does not match"), std::string::npos) << ws.status();
}

TEST(WebSocketTransportTest, ASilentServerTimesOut) {
  auto server =
      std::make_unique<ScriptedServer>([](std::string_view) { return std::string(); }, false);
  auto ws = WebSocketTransport(std::move(server), "127.0.0.1:1", "/im", 100);
  ASSERT_FALSE(ws.ok());
  EXPECT_EQ(ws.status().message(), "WebSocket upgrade at /im failed: no answer within 100 ms");
}

TEST(WebSocketTransportTest, CloseTextAndOversizedMessagesEndTheStream) {
  const std::vector<std::string> endings = {
      ServerFrame(0x8, ""), ServerFrame(0x1, "text is not this protocol"),
      std::string("\x82\x7f\x00\x00\x00\x00\x10\x00\x00\x00", 10),  // 256 MiB announced
  };
  for (const std::string& ending : endings) {
    auto server = std::make_unique<ScriptedServer>(
        [&](std::string_view sent) {
          if (!sent.starts_with("GET ")) return std::string();
          return SwitchingProtocols(sent) + ServerFrame(0x2, "before") + ending +
                 ServerFrame(0x2, "never read");
        },
        /*close_when_empty=*/false);
    auto ws = WebSocketTransport(std::move(server), "127.0.0.1:1", "/im", 1000);
    ASSERT_TRUE(ws.ok()) << ws.status();
    EXPECT_EQ(ReceiveAll(**ws), Prefixed("before"));
  }
}

TEST(WebSocketDecoderTest, BytesArrivingOneAtATimeMakeTheSameMessages) {
  const std::string stream = ServerFrame(0x2, "first", false) + ServerFrame(0x9, "ping") +
                             ServerFrame(0x0, std::string(200, 's')) + ServerFrame(0x2, "");
  common::WebSocketDecoder decoder;
  std::vector<common::WebSocketDecoder::Message> messages;
  for (char c : stream) {
    decoder.Append(std::string_view(&c, 1));
    while (auto m = decoder.Next()) messages.push_back(*m);
  }
  ASSERT_TRUE(decoder.status().ok()) << decoder.status();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].opcode, common::kWsPing);
  EXPECT_EQ(messages[1].opcode, common::kWsBinary);
  EXPECT_EQ(messages[1].payload, "first" + std::string(200, 's'));
  EXPECT_EQ(messages[2].payload, "");
}

TEST(WebSocketDecoderTest, FragmentsOutOfOrderAreAnError) {
  for (const std::string& stream :
       {ServerFrame(0x0, "a continuation of nothing"),
        ServerFrame(0x2, "started", false) + ServerFrame(0x2, "a new message inside it"),
        ServerFrame(0x9, "a fragmented ping", false)}) {
    common::WebSocketDecoder decoder;
    decoder.Append(stream);
    EXPECT_FALSE(decoder.Next().has_value());
    EXPECT_EQ(decoder.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace im::cli
