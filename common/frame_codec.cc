#include "common/frame_codec.h"

#include <google/protobuf/message_lite.h>

#include "common/str_cat.h"

namespace im::common {
namespace {

std::uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

}  // namespace

std::string EncodeFrame(const google::protobuf::MessageLite& message) {
  const std::size_t body = message.ByteSizeLong();
  std::string frame(kFrameHeaderBytes + body, '\0');
  frame[0] = static_cast<char>((body >> 24) & 0xff);
  frame[1] = static_cast<char>((body >> 16) & 0xff);
  frame[2] = static_cast<char>((body >> 8) & 0xff);
  frame[3] = static_cast<char>(body & 0xff);
  message.SerializeToArray(frame.data() + kFrameHeaderBytes, static_cast<int>(body));
  return frame;
}

void AppendFrame(std::string& out, std::string_view body) {
  const auto length = static_cast<std::uint32_t>(body.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((length >> shift) & 0xff));
  }
  out.append(body);
}

absl::Status FrameDecoder::Append(std::string_view bytes) {
  if (!status_.ok()) return status_;
  // Drop what Next() has handed out before growing the buffer.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
  CheckNextHeader();
  return status_;
}

void FrameDecoder::CheckNextHeader() {
  if (buffer_.size() - consumed_ < kFrameHeaderBytes) return;
  const std::uint32_t length = ReadBigEndian32(buffer_.data() + consumed_);
  if (length > max_frame_bytes_) {
    status_ = absl::ResourceExhaustedError(
        common::StrCat("frame of ", length, " bytes exceeds the maximum of ", max_frame_bytes_));
  }
}

std::optional<std::string_view> FrameDecoder::Next() {
  CheckNextHeader();
  if (!status_.ok()) return std::nullopt;
  const std::size_t available = buffer_.size() - consumed_;
  if (available == 0 && !buffer_.empty()) {  // all handed out: hold nothing while idle
    std::string().swap(buffer_);
    consumed_ = 0;
  }
  if (available < kFrameHeaderBytes) return std::nullopt;
  const std::uint32_t length = ReadBigEndian32(buffer_.data() + consumed_);
  if (available < kFrameHeaderBytes + length) return std::nullopt;
  std::string_view body(buffer_.data() + consumed_ + kFrameHeaderBytes, length);
  consumed_ += kFrameHeaderBytes + length;
  return body;
}

}  // namespace im::common
