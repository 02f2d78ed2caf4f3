#pragma once
// How the stream-decoder fuzz targets read their input: the first byte says
// how many of the next bytes (0-7) are chunk sizes, the rest is the stream.
// A target decodes the stream whole and cut into chunks of those sizes
// (cycled; a size of 0 means the rest at once) and requires the same result.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace im::fuzz {

struct ChunkedInput {
  std::string_view chunk_sizes;
  std::string_view stream;
};

// `size` must be at least 1.
inline ChunkedInput SplitInput(const std::uint8_t* data, std::size_t size) {
  const std::size_t sizes = std::min<std::size_t>(data[0] % 8, size - 1);
  const char* bytes = reinterpret_cast<const char*>(data);
  return {std::string_view(bytes + 1, sizes),
          std::string_view(bytes + 1 + sizes, size - 1 - sizes)};
}

// Calls feed(chunk) for each chunk of `stream` as `chunk_sizes` cuts it (all
// of it at once when there are no sizes), until feed returns false.
template <typename Feed>
void ForEachChunk(std::string_view stream, std::string_view chunk_sizes, Feed feed) {
  std::size_t at = 0, turn = 0;
  while (at < stream.size()) {
    std::size_t chunk = chunk_sizes.empty()
                            ? stream.size()
                            : static_cast<unsigned char>(chunk_sizes[turn++ % chunk_sizes.size()]);
    if (chunk == 0) chunk = stream.size();
    chunk = std::min(chunk, stream.size() - at);
    const std::string_view piece = stream.substr(at, chunk);
    at += chunk;
    if (!feed(piece)) return;
  }
}

}  // namespace im::fuzz
