// libFuzzer target: WebSocket frames from a client, as im-access's
// WebSocket port decodes them (common/websocket_codec, server mode: masked
// frames only, a message limit). The input is a byte stream fed in chunks
// whose sizes come from the input itself; it must yield exactly the messages
// (and the same error) that feeding it whole yields, no message may exceed
// the limit, and each message, masked again as a client would send it, must
// decode to itself.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/websocket_codec.h"

namespace {

constexpr std::uint64_t kMaxMessageBytes = 64 * 1024;

struct Decoded {
  std::vector<std::pair<std::uint8_t, std::string>> messages;
  bool failed = false;
};

Decoded Decode(std::string_view stream, std::string_view chunk_sizes) {
  im::common::WebSocketDecoder decoder(kMaxMessageBytes, /*require_masked=*/true);
  Decoded out;
  std::size_t at = 0, turn = 0;
  while (at < stream.size() && !out.failed) {
    std::size_t chunk = chunk_sizes.empty()
                            ? stream.size()
                            : static_cast<unsigned char>(chunk_sizes[turn++ % chunk_sizes.size()]);
    if (chunk == 0) chunk = stream.size();
    chunk = std::min(chunk, stream.size() - at);
    decoder.Append(stream.substr(at, chunk));
    at += chunk;
    while (auto message = decoder.Next()) {
      out.messages.emplace_back(message->opcode, std::move(message->payload));
    }
    out.failed = !decoder.status().ok();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte says how many of the next bytes are chunk sizes.
  const std::size_t sizes = std::min<std::size_t>(data[0] % 8, size - 1);
  const std::string_view chunk_sizes(reinterpret_cast<const char*>(data) + 1, sizes);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1 + sizes, size - 1 - sizes);

  const Decoded whole = Decode(stream, "");
  const Decoded chunked = Decode(stream, chunk_sizes);
  if (whole.messages != chunked.messages || whole.failed != chunked.failed) std::abort();

  for (const auto& [opcode, payload] : whole.messages) {
    if (payload.size() > kMaxMessageBytes) std::abort();
    const std::string again = im::common::EncodeWebSocketFrame(opcode, payload, 0x5eed1e55);
    const Decoded redecoded = Decode(again, "");
    if (redecoded.failed || redecoded.messages.size() != 1 ||
        redecoded.messages[0] != std::make_pair(opcode, payload)) {
      std::abort();
    }
  }
  return 0;
}
