// The coalescing stream (stream_client.h, stream_server.h) over a real gRPC
// connection on loopback: answers reach their own callers, errors and
// deadlines come back per call, in-flight work is bounded, a client
// outlives a server restart, streams are replaced (rebalanced) without losing
// or reordering a call, and sharded streams spread over replicas.

#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <list>
#include <map>
#include <thread>

#include "common/grpc_server.h"
#include "common/sharded_stream_client.h"
#include "common/stream_client.h"
#include "common/stream_server.h"
#include "stream_echo_test.grpc.pb.h"

namespace im::common {
namespace {

using namespace std::chrono_literals;
using EchoClient = StreamClient<test::EchoCalls, test::EchoResults>;

// Echoes each request's text, after its delay_ms (on a thread of its own).
class EchoService final : public test::Echo::CallbackService {
 public:
  ~EchoService() override {
    for (auto& t : delayed_) t.join();
  }
  grpc::ServerBidiReactor<test::EchoCalls, test::EchoResults>* EchoStream(
      grpc::CallbackServerContext*) override {
    ++streams_opened_;
    return stream_.Open();
  }
  int streams_opened() const { return streams_opened_; }
  void Drain() { stream_.Drain(); }
  int handled() const { return handled_; }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void Handle(const test::EchoRequest& request, test::EchoResponse* response,
              std::function<void(absl::Status)> done) {
    ++handled_;
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(request.text());
    }
    auto answer = [&request, response, done] {
      if (request.fail()) return done(absl::InvalidArgumentError("told to fail"));
      response->set_text(request.text());
      done(absl::OkStatus());
    };
    if (request.delay_ms() == 0) return answer();
    std::lock_guard lock(mutex_);
    delayed_.emplace_back([answer, delay = request.delay_ms()] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      answer();
    });
  }

  std::atomic<int> handled_{0};
  std::atomic<int> streams_opened_{0};
  std::mutex mutex_;
  std::list<std::thread> delayed_;
  std::vector<std::string> seen_;
  StreamServer<test::EchoCalls, test::EchoResults> stream_{
      [this](const auto& request, auto* response, auto done) {
        Handle(request, response, std::move(done));
      }};
};

struct Server {
  explicit Server(int port = 0) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureServerCredentials(), &this->port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~Server() { Stop(); }
  void Stop() {
    if (!server) return;
    service.Drain();
    server->Shutdown(std::chrono::system_clock::now() + 2s);
    server.reset();
  }
  EchoService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

struct Outcome {
  absl::Status status;
  std::string text;
};

class StreamTest : public ::testing::Test {
 protected:
  std::unique_ptr<EchoClient> MakeClient(int port, std::chrono::milliseconds timeout = 5s,
                                         std::size_t max_in_flight = 1000,
                                         bool wait_for_ready = true,
                                         std::chrono::milliseconds max_stream_age = 0ms) {
    return std::make_unique<EchoClient>(
        Opener("127.0.0.1:" + std::to_string(port)),
        EchoClient::Options{.peer = "echo",
                            .timeout = timeout,
                            .max_in_flight = max_in_flight,
                            .wait_for_ready = wait_for_ready,
                            .max_stream_age = max_stream_age});
  }

  // Opens EchoStreams on a channel to `target` (one address or a list).
  EchoClient::Open Opener(const std::string& target) {
    auto stub = test::Echo::NewStub(MakeInternalChannel(target, InternalCredentials::Insecure()));
    auto* raw = stub.get();
    stubs_.push_back(std::move(stub));
    return [raw](grpc::ClientContext* context, EchoClient::Reactor* reactor) {
      raw->async()->EchoStream(context, reactor);
    };
  }

  static std::future<Outcome> Call(EchoClient& client, std::string text, std::uint32_t delay_ms = 0,
                                   bool fail = false) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    client.Submit(Request(std::move(text), delay_ms, fail), Fulfil(promise));
    return promise->get_future();
  }
  static test::EchoRequest Request(std::string text, std::uint32_t delay_ms = 0,
                                   bool fail = false) {
    test::EchoRequest request;
    request.set_text(std::move(text));
    request.set_delay_ms(delay_ms);
    request.set_fail(fail);
    return request;
  }
  static Completion<test::EchoResponse> Fulfil(std::shared_ptr<std::promise<Outcome>> promise) {
    return [promise](absl::Status status, test::EchoResponse response) {
      promise->set_value({std::move(status), response.text()});
    };
  }

  std::vector<std::unique_ptr<test::Echo::Stub>> stubs_;
};

TEST_F(StreamTest, EveryCallerGetsItsOwnAnswerFromManyThreads) {
  Server server;
  constexpr int kThreads = 4, kEach = 500;
  auto client = MakeClient(server.port, 5s, /*max_in_flight=*/kThreads * kEach);
  std::vector<std::vector<std::future<Outcome>>> futures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Some answers are held back, so answers come back out of order.
        futures[t].push_back(Call(*client, std::to_string(t) + "/" + std::to_string(i),
                                  i % 50 == 0 ? 20 : 0));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      Outcome got = futures[t][i].get();
      ASSERT_TRUE(got.status.ok()) << got.status;
      EXPECT_EQ(got.text, std::to_string(t) + "/" + std::to_string(i));
    }
  }
  EXPECT_EQ(server.service.handled(), kThreads * kEach);
}

TEST_F(StreamTest, CallsReachTheHandlerAndCompleteInTheOrderSubmitted) {
  Server server;
  constexpr int kCalls = 3000;
  auto client = MakeClient(server.port, 5s, kCalls);
  std::mutex mutex;
  std::vector<std::string> completed;
  std::vector<std::string> sent;
  std::promise<void> all_done;
  for (int i = 0; i < kCalls; ++i) {
    test::EchoRequest request;
    request.set_text(std::to_string(i));
    sent.push_back(request.text());
    client->Submit(std::move(request), [&](absl::Status status, test::EchoResponse response) {
      std::lock_guard lock(mutex);
      completed.push_back(status.ok() ? response.text() : status.ToString());
      if (completed.size() == kCalls) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(server.service.seen(), sent);
  std::lock_guard lock(mutex);
  EXPECT_EQ(completed, sent);
}

TEST_F(StreamTest, AnErrorAnswersOnlyItsOwnCall) {
  Server server;
  auto client = MakeClient(server.port);
  auto bad = Call(*client, "x", 0, /*fail=*/true);
  auto good = Call(*client, "y");
  Outcome b = bad.get();
  EXPECT_EQ(b.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.status.message(), "told to fail");
  Outcome g = good.get();
  ASSERT_TRUE(g.status.ok()) << g.status;
  EXPECT_EQ(g.text, "y");
}

TEST_F(StreamTest, ACallPastItsDeadlineFailsAndTheStreamGoesOn) {
  Server server;
  auto client = MakeClient(server.port, /*timeout=*/200ms);
  auto slow = Call(*client, "slow", 1000);
  auto fast = Call(*client, "fast");
  EXPECT_EQ(fast.get().text, "fast");
  EXPECT_EQ(slow.get().status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Call(*client, "after").get().text, "after");
}

TEST_F(StreamTest, CallsPastTheInFlightBoundAreRefusedAtOnce) {
  Server server;
  auto client = MakeClient(server.port, 5s, /*max_in_flight=*/3);
  std::vector<std::future<Outcome>> held;
  for (int i = 0; i < 3; ++i) held.push_back(Call(*client, "held", 300));
  Outcome refused = Call(*client, "one too many").get();
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kResourceExhausted);
  for (auto& f : held) EXPECT_TRUE(f.get().status.ok());
  EXPECT_EQ(Call(*client, "room again").get().text, "room again");
}

TEST_F(StreamTest, DrainAnswersWhatWasReadThenTheClientReconnects) {
  auto server = std::make_unique<Server>();
  const int port = server->port;
  auto client = MakeClient(port);
  auto in_flight = Call(*client, "in flight", 300);
  std::this_thread::sleep_for(100ms);  // the server has read it
  server->Stop();                      // drains: answers it, then ends the stream
  Outcome answered = in_flight.get();
  ASSERT_TRUE(answered.status.ok()) << answered.status;
  EXPECT_EQ(answered.text, "in flight");

  // A call that races the stream's end fails UNAVAILABLE (the callers of
  // every hop retry those); give the client a moment to see the end.
  std::this_thread::sleep_for(200ms);
  // While no server listens, a call waits for one (wait_for_ready).
  auto waiting = Call(*client, "waited");
  std::this_thread::sleep_for(300ms);
  server = std::make_unique<Server>(port);
  ASSERT_EQ(server->port, port);
  Outcome waited = waiting.get();
  ASSERT_TRUE(waited.status.ok()) << waited.status;
  EXPECT_EQ(waited.text, "waited");
  EXPECT_EQ(Call(*client, "again").get().text, "again");
}

TEST_F(StreamTest, WithoutWaitForReadyAMissingServerFailsFast) {
  int port;
  {
    Server probe;  // find a free port, then free it
    port = probe.port;
  }
  auto client = MakeClient(port, 5s, 1000, /*wait_for_ready=*/false);
  const auto start = std::chrono::steady_clock::now();
  Outcome got = Call(*client, "nobody").get();
  EXPECT_EQ(got.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST_F(StreamTest, DestroyingTheClientAnswersWhatIsInFlight) {
  Server server;
  auto client = MakeClient(server.port);
  auto pending = Call(*client, "never answered in time", 1000);
  std::this_thread::sleep_for(100ms);
  client.reset();
  EXPECT_EQ(pending.get().status.code(), absl::StatusCode::kUnavailable);
}

TEST_F(StreamTest, AnAgedStreamIsReplacedWithoutLosingOrReorderingACall) {
  Server server;
  auto client = MakeClient(server.port, 5s, 1000, true, /*max_stream_age=*/50ms);
  // A slow call keeps the first stream busy past its age: calls submitted
  // meanwhile wait for it, then go out, in order, on the next stream.
  auto slow = Call(*client, "slow", 300);
  std::this_thread::sleep_for(100ms);
  std::vector<std::future<Outcome>> later;
  std::vector<std::string> sent = {"slow"};
  for (int i = 0; i < 20; ++i) {
    sent.push_back("later " + std::to_string(i));
    later.push_back(Call(*client, sent.back()));
  }
  EXPECT_EQ(later.front().wait_for(150ms), std::future_status::timeout) << "went past the slow call";
  ASSERT_TRUE(slow.get().status.ok());
  for (std::size_t i = 0; i < later.size(); ++i) {
    Outcome got = later[i].get();
    ASSERT_TRUE(got.status.ok()) << got.status;
    EXPECT_EQ(got.text, sent[i + 1]);
  }
  EXPECT_EQ(server.service.seen(), sent);
  EXPECT_EQ(server.service.streams_opened(), 2);

  // Under a steady flow, streams come and go and nothing is lost or reordered.
  sent.clear();
  std::vector<std::future<Outcome>> flow;
  const auto until = std::chrono::steady_clock::now() + 400ms;
  for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
    sent.push_back(std::to_string(i));
    flow.push_back(Call(*client, sent.back(), i % 100 == 0 ? 30 : 0));
    if (i % 20 == 0) std::this_thread::sleep_for(1ms);
  }
  for (std::size_t i = 0; i < flow.size(); ++i) {
    Outcome got = flow[i].get();
    ASSERT_TRUE(got.status.ok()) << got.status;
    EXPECT_EQ(got.text, sent[i]);
  }
  auto seen = server.service.seen();
  seen.erase(seen.begin(), seen.begin() + 21);
  EXPECT_EQ(seen, sent);
  EXPECT_GE(server.service.streams_opened(), 5);
}

TEST_F(StreamTest, ShardedStreamsSpreadOverReplicasAndKeepEachKeysOrder) {
  Server first, second;
  using Sharded = ShardedStreamClient<test::EchoCalls, test::EchoResults>;
  Sharded client(4,
                 Opener("127.0.0.1:" + std::to_string(first.port) + ",127.0.0.1:" +
                        std::to_string(second.port)),
                 Sharded::Shard::Options{.peer = "echo", .max_stream_age = 100ms});
  constexpr int kKeys = 16;
  std::mutex mutex;
  std::map<int, std::vector<int>> completed;  // key -> call numbers, in completion order
  std::vector<std::future<Outcome>> calls;
  int submitted = 0;
  const auto until = std::chrono::steady_clock::now() + 600ms;
  for (int i = 0; std::chrono::steady_clock::now() < until; ++i, ++submitted) {
    const int key = i % kKeys;
    auto promise = std::make_shared<std::promise<Outcome>>();
    calls.push_back(promise->get_future());
    client.Submit(key, Request(std::to_string(i)),
                  [&, key, i, promise](absl::Status status, test::EchoResponse response) {
                    {
                      std::lock_guard lock(mutex);
                      completed[key].push_back(i);
                    }
                    promise->set_value({std::move(status), response.text()});
                  });
    if (i % 16 == 0) std::this_thread::sleep_for(1ms);
  }
  for (auto& call : calls) ASSERT_TRUE(call.get().status.ok());
  EXPECT_EQ(first.service.handled() + second.service.handled(), submitted);
  EXPECT_GT(first.service.handled(), 0);
  EXPECT_GT(second.service.handled(), 0);
  for (const auto& [key, order] : completed) {
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << "key " << key;
  }
}

}  // namespace
}  // namespace im::common
