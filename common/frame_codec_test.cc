#include "common/frame_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "client.pb.h"

namespace im::common {
namespace {

client::ClientFrame MakeFrame(std::uint64_t req_id, const std::string& text) {
  client::ClientFrame frame;
  frame.set_req_id(req_id);
  frame.mutable_send_message()->set_to_user("bob");
  frame.mutable_send_message()->set_text(text);
  return frame;
}

std::vector<client::ClientFrame> DrainAll(FrameDecoder& decoder) {
  std::vector<client::ClientFrame> out;
  while (auto body = decoder.Next()) {
    client::ClientFrame f;
    EXPECT_TRUE(f.ParseFromArray(body->data(), static_cast<int>(body->size())));
    out.push_back(f);
  }
  return out;
}

TEST(FrameCodecTest, EncodesBigEndianLengthThenBody) {
  const auto frame = MakeFrame(7, "hi");
  const std::string wire = EncodeFrame(frame);
  const std::size_t body = frame.ByteSizeLong();
  ASSERT_EQ(wire.size(), 4 + body);
  EXPECT_EQ(static_cast<unsigned char>(wire[0]), 0);
  EXPECT_EQ(static_cast<unsigned char>(wire[3]), body);
  EXPECT_EQ(wire.substr(4), frame.SerializeAsString());
}

TEST(FrameCodecTest, ReassemblesAFrameSplitAtEveryByte) {
  const std::string wire = EncodeFrame(MakeFrame(1, "hello")) + EncodeFrame(MakeFrame(2, "world"));
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    FrameDecoder decoder;
    ASSERT_TRUE(decoder.Append(wire.substr(0, split)).ok());
    auto first = DrainAll(decoder);
    ASSERT_TRUE(decoder.Append(wire.substr(split)).ok());
    auto rest = DrainAll(decoder);
    first.insert(first.end(), rest.begin(), rest.end());
    ASSERT_EQ(first.size(), 2u) << "split at " << split;
    EXPECT_EQ(first[0].req_id(), 1u);
    EXPECT_EQ(first[1].send_message().text(), "world");
  }
}

TEST(FrameCodecTest, ByteByByteDelivery) {
  const std::string wire = EncodeFrame(MakeFrame(9, std::string(300, 'x')));
  FrameDecoder decoder;
  std::vector<client::ClientFrame> got;
  for (char c : wire) {
    ASSERT_TRUE(decoder.Append(std::string_view(&c, 1)).ok());
    auto part = DrainAll(decoder);
    got.insert(got.end(), part.begin(), part.end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].send_message().text().size(), 300u);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameCodecTest, ManyFramesInOneRead) {
  std::string wire;
  for (int i = 1; i <= 100; ++i) wire += EncodeFrame(MakeFrame(i, std::to_string(i)));
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Append(wire).ok());
  auto frames = DrainAll(decoder);
  ASSERT_EQ(frames.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(frames[i].req_id(), static_cast<std::uint64_t>(i + 1));
}

TEST(FrameCodecTest, EmptyBodyIsAFrame) {
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Append(std::string("\0\0\0\0", 4)).ok());
  auto body = decoder.Next();
  ASSERT_TRUE(body.has_value());
  EXPECT_TRUE(body->empty());
}

TEST(FrameCodecTest, RejectsOversizeLengthBeforeTheBodyArrives) {
  FrameDecoder decoder(1024);
  // Header says 1025 bytes; only the header is sent.
  const std::string header("\x00\x00\x04\x01", 4);
  absl::Status status = decoder.Append(header);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_FALSE(decoder.Append("more").ok());
}

TEST(FrameCodecTest, AcceptsExactlyTheMaximum) {
  FrameDecoder decoder(8);
  ASSERT_TRUE(decoder.Append(std::string("\x00\x00\x00\x08", 4) + "12345678").ok());
  auto body = decoder.Next();
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, "12345678");
}

TEST(FrameCodecTest, OversizeFrameAfterAGoodOneFailsTheStream) {
  FrameDecoder decoder(64);
  std::string wire = EncodeFrame(MakeFrame(1, "ok")) + std::string("\x7f\xff\xff\xff", 4);
  decoder.Append(wire).IgnoreError();
  EXPECT_TRUE(decoder.Next().has_value());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(FrameCodecTest, RandomGarbageNeverCrashesOrOverAllocates) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    FrameDecoder decoder(4096);
    std::string junk(rng() % 2000, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    decoder.Append(junk).IgnoreError();
    while (auto body = decoder.Next()) {
      EXPECT_LE(body->size(), 4096u);
      client::ClientFrame f;
      f.ParseFromArray(body->data(), static_cast<int>(body->size()));  // may fail; must not crash
    }
    EXPECT_LE(decoder.buffered_bytes(), junk.size());
  }
}

}  // namespace
}  // namespace im::common
