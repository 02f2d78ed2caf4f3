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
#include "fuzz/chunked_input.h"

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
  im::fuzz::ForEachChunk(stream, chunk_sizes, [&](std::string_view chunk) {
    out.failed = !decoder.Append(chunk).ok();
    while (!out.failed) {
      auto body = decoder.Next();
      if (!body) break;
      out.bodies.emplace_back(*body);
    }
    out.failed = out.failed || !decoder.status().ok();
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
