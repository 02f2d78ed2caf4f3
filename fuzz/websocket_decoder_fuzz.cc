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
#include "fuzz/chunked_input.h"

namespace {

constexpr std::uint64_t kMaxMessageBytes = 64 * 1024;

struct Decoded {
  std::vector<std::pair<std::uint8_t, std::string>> messages;
  bool failed = false;
};

Decoded Decode(std::string_view stream, std::string_view chunk_sizes) {
  im::common::WebSocketDecoder decoder(kMaxMessageBytes, /*require_masked=*/true);
  Decoded out;
  im::fuzz::ForEachChunk(stream, chunk_sizes, [&](std::string_view chunk) {
    decoder.Append(chunk);
    while (auto message = decoder.Next()) {
      out.messages.emplace_back(message->opcode, std::move(message->payload));
    }
    out.failed = !decoder.status().ok();
    return !out.failed;
  });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto [chunk_sizes, stream] = im::fuzz::SplitInput(data, size);

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
