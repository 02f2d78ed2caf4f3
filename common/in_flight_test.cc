#include "common/in_flight.h"

#include <gtest/gtest.h>

#include <thread>

namespace im::common {
namespace {

using std::chrono::milliseconds;

TEST(InFlightTest, CountsUntilTheLastCopyOfAGuardGoes) {
  InFlight in_flight;
  EXPECT_EQ(in_flight.count(), 0u);
  InFlight::Guard a = in_flight.Enter();
  InFlight::Guard copy = a;
  InFlight::Guard b = in_flight.Enter();
  EXPECT_EQ(in_flight.count(), 2u);
  a.reset();
  EXPECT_EQ(in_flight.count(), 2u) << "a copy of the first still holds it";
  copy.reset();
  b.reset();
  EXPECT_EQ(in_flight.count(), 0u);
}

TEST(InFlightTest, WaitUntilIdleWaitsForAChainOfWork) {
  InFlight in_flight;
  // A callback that starts the next step before it lets go of its own.
  std::thread worker([guard = in_flight.Enter(), &in_flight]() mutable {
    std::this_thread::sleep_for(milliseconds(30));
    InFlight::Guard next = in_flight.Enter();
    guard.reset();
    std::this_thread::sleep_for(milliseconds(30));
  });
  EXPECT_FALSE(in_flight.WaitUntilIdle(milliseconds(10)));
  EXPECT_TRUE(in_flight.WaitUntilIdle(milliseconds(5000)));
  EXPECT_EQ(in_flight.count(), 0u);
  worker.join();
}

TEST(InFlightTest, AGuardMayOutliveItsCounter) {
  InFlight::Guard survivor;
  {
    InFlight in_flight;
    survivor = in_flight.Enter();
  }
  survivor.reset();  // no use of the destroyed counter (ASan would say)
  SUCCEED();
}

}  // namespace
}  // namespace im::common
