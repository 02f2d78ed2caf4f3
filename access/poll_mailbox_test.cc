// PollMailbox on a real io_context, driven from both sides as in production:
// the Connection's side (Read/Write/Close) on the context's thread, the
// HTTP side (Submit/Poll/EndPoll/Hangup) from the test's thread.

#include "access/poll_mailbox.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "client.pb.h"
#include "common/frame_codec.h"

namespace im::access {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Answer = absl::StatusOr<std::string>;

std::string ServerFrameWith(std::uint64_t req_id, const std::string& text = "") {
  client::ServerFrame frame;
  frame.set_req_id(req_id);
  if (!text.empty()) frame.mutable_message()->set_text(text);
  return common::EncodeFrame(frame);
}

std::vector<client::ServerFrame> Decode(const std::string& frames) {
  common::FrameDecoder decoder(frames.size() + 1);
  decoder.Append(frames).IgnoreError();
  std::vector<client::ServerFrame> out;
  while (auto body = decoder.Next()) {
    out.emplace_back();
    out.back().ParseFromArray(body->data(), static_cast<int>(body->size()));
  }
  return out;
}

class PollMailboxTest : public ::testing::Test {
 protected:
  PollMailboxTest() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {
    mailbox_ = std::make_shared<PollMailbox>(io_.get_executor(), /*max_waiting_requests=*/2);
  }
  ~PollMailboxTest() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Runs `fn` on the mailbox's thread and waits for it.
  template <typename Fn>
  void OnThread(Fn fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  // A Read by the Connection; the future gets what it was handed.
  std::future<std::pair<boost::system::error_code, std::string>> Read() {
    auto promise = std::make_shared<std::promise<std::pair<boost::system::error_code, std::string>>>();
    auto future = promise->get_future();
    OnThread([&] {
      mailbox_->Read([promise](const boost::system::error_code& ec, std::string_view bytes) {
        promise->set_value({ec, std::string(bytes)});
      });
    });
    return future;
  }

  // A Write by the Connection; the future completes with the write.
  std::future<boost::system::error_code> Write(std::vector<std::string> frames) {
    auto promise = std::make_shared<std::promise<boost::system::error_code>>();
    auto future = promise->get_future();
    auto kept = std::make_shared<std::vector<std::string>>(std::move(frames));
    OnThread([&] {
      std::vector<asio::const_buffer> buffers;
      for (const auto& f : *kept) buffers.push_back(asio::buffer(f));
      mailbox_->Write(buffers, [promise, kept](const boost::system::error_code& ec, std::size_t) {
        promise->set_value(ec);
      });
    });
    return future;
  }

  static std::function<void(Answer)> Into(std::shared_ptr<std::promise<Answer>> promise) {
    return [promise](Answer answer) { promise->set_value(std::move(answer)); };
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::shared_ptr<PollMailbox> mailbox_;
};

constexpr auto kSoon = milliseconds(2000);

TEST_F(PollMailboxTest, ASubmittedFrameIsReadAndItsAnswerGoesToItsRequestOthersToThePoll) {
  auto read = Read();
  auto answer = std::make_shared<std::promise<Answer>>();
  mailbox_->Submit("frame-bytes", 7, Into(answer));
  ASSERT_EQ(read.wait_for(kSoon), std::future_status::ready);
  const auto [ec, bytes] = read.get();
  EXPECT_FALSE(ec);
  std::string expected;
  common::AppendFrame(expected, "frame-bytes");
  EXPECT_EQ(bytes, expected) << "the frame, with its length in front";

  auto poll = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(1, Into(poll));
  // A push and the answer, in one write: each goes its own way.
  ASSERT_FALSE(Write({ServerFrameWith(0, "push"), ServerFrameWith(7)}).get());
  auto answered = answer->get_future().get();
  ASSERT_TRUE(answered.ok());
  ASSERT_EQ(Decode(*answered).size(), 1u);
  EXPECT_EQ(Decode(*answered)[0].req_id(), 7u);
  auto polled = poll->get_future().get();
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(Decode(*polled).size(), 1u);
  EXPECT_EQ(Decode(*polled)[0].message().text(), "push");
}

TEST_F(PollMailboxTest, AnswersAreFoundByReqIdsOfAnySize) {
  for (const std::uint64_t req_id : {std::uint64_t{1}, std::uint64_t{300},
                                     (std::uint64_t{1} << 63) | 5}) {  // 1 to 10 varint bytes
    auto answer = std::make_shared<std::promise<Answer>>();
    mailbox_->Submit("x", req_id, Into(answer));
    ASSERT_FALSE(Write({ServerFrameWith(req_id, "the answer")}).get());
    auto answered = answer->get_future();
    ASSERT_EQ(answered.wait_for(kSoon), std::future_status::ready) << req_id;
    const auto frames = Decode(answered.get().value());
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].req_id(), req_id);
  }
}

TEST_F(PollMailboxTest, APollWaitsForFramesAndEndsEmptyWhenItsTimeIsUp) {
  auto first = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(1, Into(first));
  auto first_future = first->get_future();
  EXPECT_EQ(first_future.wait_for(milliseconds(100)), std::future_status::timeout);
  mailbox_->EndPoll(1);
  ASSERT_EQ(first_future.wait_for(kSoon), std::future_status::ready);
  EXPECT_EQ(first_future.get().value(), "");

  // Frames written while nobody polls wait for the next poll, all of them, in order.
  ASSERT_FALSE(Write({ServerFrameWith(0, "a")}).get());
  ASSERT_FALSE(Write({ServerFrameWith(0, "b")}).get());
  auto second = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(2, Into(second));
  const auto frames = Decode(second->get_future().get().value());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].message().text(), "a");
  EXPECT_EQ(frames[1].message().text(), "b");

  // A newer poll ends the older one, which is answered empty.
  auto older = std::make_shared<std::promise<Answer>>();
  auto newer = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(3, Into(older));
  mailbox_->Poll(4, Into(newer));
  EXPECT_EQ(older->get_future().get().value(), "");
  mailbox_->EndPoll(3);  // too late: poll 4 still waits
  auto newer_future = newer->get_future();
  EXPECT_EQ(newer_future.wait_for(milliseconds(100)), std::future_status::timeout);
  mailbox_->EndPoll(4);
  EXPECT_EQ(newer_future.get().value(), "");
}

TEST_F(PollMailboxTest, AWriteIsHeldOnceTooMuchWaitsForAPoll) {
  const std::string big(PollMailbox::kBufferedBytes, 'x');
  auto held = Write({ServerFrameWith(0, big)});
  EXPECT_EQ(held.wait_for(milliseconds(200)), std::future_status::timeout)
      << "more than a send buffer's worth waits: the write completes when a poll takes it";
  auto poll = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(1, Into(poll));
  ASSERT_EQ(held.wait_for(kSoon), std::future_status::ready);
  EXPECT_FALSE(held.get());
  EXPECT_EQ(Decode(poll->get_future().get().value())[0].message().text(), big);
}

TEST_F(PollMailboxTest, SubmitsAreRefusedForADuplicateReqIdOrPastTheCap) {
  auto a = std::make_shared<std::promise<Answer>>();
  auto b = std::make_shared<std::promise<Answer>>();
  auto dup = std::make_shared<std::promise<Answer>>();
  auto third = std::make_shared<std::promise<Answer>>();
  mailbox_->Submit("x", 1, Into(a));
  mailbox_->Submit("x", 1, Into(dup));
  EXPECT_EQ(dup->get_future().get().status().code(), absl::StatusCode::kAlreadyExists);
  mailbox_->Submit("y", 2, Into(b));
  mailbox_->Submit("z", 3, Into(third));
  EXPECT_EQ(third->get_future().get().status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(PollMailboxTest, CloseAnswersWhatWaitsAndTheLastFramesGoToAPoll) {
  auto waiting = std::make_shared<std::promise<Answer>>();
  mailbox_->Submit("x", 9, Into(waiting));
  ASSERT_FALSE(Write({ServerFrameWith(0, "kick")}).get());
  bool finished = false;
  mailbox_->WhenClosed([&] { finished = true; });
  OnThread([&] { mailbox_->Close(); });
  EXPECT_EQ(waiting->get_future().get().status().code(), absl::StatusCode::kUnavailable);
  OnThread([&] { EXPECT_FALSE(finished) << "its last frame still waits for a poll"; });
  auto poll = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(1, Into(poll));
  EXPECT_EQ(Decode(poll->get_future().get().value())[0].message().text(), "kick");
  OnThread([&] { EXPECT_TRUE(finished); });
  auto after = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(2, Into(after));
  EXPECT_EQ(after->get_future().get().status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(PollMailboxTest, AHangupIsReadAsTheEndOfTheStream) {
  auto read = Read();
  mailbox_->Hangup();
  ASSERT_EQ(read.wait_for(kSoon), std::future_status::ready);
  EXPECT_EQ(read.get().first, asio::error::eof);
}

TEST_F(PollMailboxTest, APollIsASignOfLifeToTheReader) {
  auto read = Read();
  auto poll = std::make_shared<std::promise<Answer>>();
  mailbox_->Poll(1, Into(poll));
  ASSERT_EQ(read.wait_for(kSoon), std::future_status::ready);
  const auto [ec, bytes] = read.get();
  EXPECT_FALSE(ec);
  EXPECT_TRUE(bytes.empty()) << "a read of nothing: the session is alive";
  mailbox_->EndPoll(1);
  poll->get_future().get().IgnoreError();
}

}  // namespace
}  // namespace im::access
