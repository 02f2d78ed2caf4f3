#include "logic/handler_task.h"

#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

namespace im::logic {
namespace {

// Marks when the coroutine frame that holds it is destroyed.
struct FrameWitness {
  bool* destroyed;
  ~FrameWitness() { *destroyed = true; }
};

HandlerTask AddOne(Suspend<int>::Start start, int* out, bool* frame_destroyed) {
  FrameWitness witness{frame_destroyed};
  auto value = co_await Suspend<int>(std::move(start));
  *out = value.ok() ? *value + 1 : -1;
}

TEST(HandlerTaskTest, ACallbackRunAtOnceContinuesTheCoroutineAfterTheStartReturns) {
  int out = 0;
  bool destroyed = false;
  bool start_returned = false;
  bool done_before_return = false;
  AddOne(
      [&](Done<int> done) {
        done(41);
        // The coroutine has not gone on (or ended) inside `done`.
        done_before_return = out == 0 && !destroyed;
        start_returned = true;
      },
      &out, &destroyed);
  EXPECT_TRUE(done_before_return);
  EXPECT_TRUE(start_returned);
  EXPECT_EQ(out, 42);
  EXPECT_TRUE(destroyed);
}

TEST(HandlerTaskTest, ACallbackOnAnotherThreadResumesTheCoroutineThere) {
  int out = 0;
  bool destroyed = false;
  std::promise<Done<int>> pending;
  std::future<Done<int>> taken = pending.get_future();
  AddOne([&](Done<int> done) { pending.set_value(std::move(done)); }, &out, &destroyed);
  EXPECT_FALSE(destroyed);  // suspended, waiting for its callback
  std::thread other([done = taken.get()] { done(absl::UnavailableError("storage unavailable")); });
  other.join();
  EXPECT_EQ(out, -1);
  EXPECT_TRUE(destroyed);
}

TEST(HandlerTaskTest, ACallbackDroppedUncalledResumesTheCoroutineWithInternal) {
  int out = 0;
  bool destroyed = false;
  AddOne([](Done<int> done) { Done<int> dropped = std::move(done); }, &out, &destroyed);
  EXPECT_EQ(out, -1);
  EXPECT_TRUE(destroyed);

  // Dropped later, after the coroutine suspended: it resumes then.
  out = 0;
  destroyed = false;
  std::optional<Done<int>> held;
  AddOne([&](Done<int> done) { held = std::move(done); }, &out, &destroyed);
  EXPECT_FALSE(destroyed);
  held.reset();
  EXPECT_EQ(out, -1);
  EXPECT_TRUE(destroyed);
}

HandlerTask Throws(bool* frame_destroyed) {
  FrameWitness witness{frame_destroyed};
  co_await Suspend<int>([](Done<int> done) { done(1); });
  throw std::runtime_error("a bug in a handler");
}

TEST(HandlerTaskTest, AnExceptionEndsTheCoroutineAndFreesItsFrame) {
  bool destroyed = false;
  Throws(&destroyed);  // logged; must not end the process
  EXPECT_TRUE(destroyed);
}

struct Adder {
  void Add(int request, Done<int> done) { done(request + base); }
  int base = 100;
};

HandlerTask CallAdder(Adder* adder, int* out) {
  auto sum = co_await Call(adder, &Adder::Add, 5);
  *out = sum.value_or(0);
}

TEST(HandlerTaskTest, CallAwaitsAMemberTakingARequestAndADone) {
  Adder adder;
  int out = 0;
  CallAdder(&adder, &out);
  EXPECT_EQ(out, 105);
}

}  // namespace
}  // namespace im::logic
