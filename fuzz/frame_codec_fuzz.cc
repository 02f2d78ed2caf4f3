// libFuzzer target: the client protocol's framing and frame parsing, as
// im-access meets them. The input is a byte stream from a client. It is fed
// to a FrameDecoder in chunks whose sizes come from the input itself, and
// must yield exactly the frames (and the same error) that feeding it whole
// yields; each frame body is parsed as a ClientFrame, and one that parses
// must survive EncodeFrame and decoding again unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "client.pb.h"
#include "common/frame_codec.h"

namespace {

constexpr std::size_t kMaxFrameBytes = 64 * 1024;

struct Decoded {
  std::vector<std::string> bodies;
  bool failed = false;
};

// Feeds `stream` in chunks of the sizes `chunk_sizes` gives (cycled; 0 means
// the rest at once) and collects every body handed out.
Decoded Decode(std::string_view stream, std::string_view chunk_sizes) {
  im::common::FrameDecoder decoder(kMaxFrameBytes);
  Decoded out;
  std::size_t at = 0, turn = 0;
  while (at < stream.size() && !out.failed) {
    std::size_t chunk = chunk_sizes.empty()
                            ? stream.size()
                            : static_cast<unsigned char>(chunk_sizes[turn++ % chunk_sizes.size()]);
    if (chunk == 0) chunk = stream.size();
    chunk = std::min(chunk, stream.size() - at);
    out.failed = !decoder.Append(stream.substr(at, chunk)).ok();
    at += chunk;
    while (!out.failed) {
      auto body = decoder.Next();
      if (!body) break;
      out.bodies.emplace_back(*body);
    }
    out.failed = out.failed || !decoder.status().ok();
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
  if (whole.bodies != chunked.bodies || whole.failed != chunked.failed) std::abort();

  for (const std::string& body : whole.bodies) {
    if (body.size() > kMaxFrameBytes) std::abort();
    im::client::ClientFrame frame;
    if (!frame.ParseFromString(body)) continue;
    const std::string encoded = im::common::EncodeFrame(frame);
    if (encoded.size() > im::common::kFrameHeaderBytes + kMaxFrameBytes) continue;
    const Decoded again = Decode(encoded, "");
    if (again.failed || again.bodies.size() != 1) std::abort();
    im::client::ClientFrame reparsed;
    if (!reparsed.ParseFromString(again.bodies[0]) ||
        reparsed.SerializeAsString() != frame.SerializeAsString()) {
      std::abort();
    }
  }
  return 0;
}
