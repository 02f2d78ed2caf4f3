#include "logic/webhook_outbox.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/proto_json.h"
#include "logic/handler_test_doubles.h"
#include "tests/support/hook_server.h"
#include "webhook.pb.h"

namespace im::logic {
namespace {

using std::chrono::milliseconds;
using testing::HookServer;

internal::OutboxEvent Due(std::uint64_t id, std::uint32_t attempts, const std::string& text) {
  internal::OutboxEvent event;
  event.set_event_id(id);
  event.set_type("message.sent");
  event.set_attempts(attempts);
  event.mutable_message()->set_msg_id(id * 10);
  event.mutable_message()->set_text(text);
  return event;
}

TEST(WebhookOutboxTest, RetryDelaysDoubleFromASecondUpToFiveMinutes) {
  EXPECT_EQ(WebhookOutbox::RetryDelay(0), milliseconds(1000));
  EXPECT_EQ(WebhookOutbox::RetryDelay(1), milliseconds(2000));
  EXPECT_EQ(WebhookOutbox::RetryDelay(5), milliseconds(32000));
  EXPECT_EQ(WebhookOutbox::RetryDelay(9), milliseconds(300000));
  EXPECT_EQ(WebhookOutbox::RetryDelay(4000000000u), milliseconds(300000));
}

TEST(WebhookOutboxTest, DeliveredEventsAreFinishedAndFailedOnesRetriedWithTheirDelay) {
  HookServer hook([](const HookServer::Request& r) {
    return HookServer::Reply{r.headers.at("idempotency-key") == "2" ? 500u : 200u, "{}"};
  });
  auto client = *WebhookClient::Create({hook.url("/after"), milliseconds(2000), 4, 100}, nullptr);
  ScriptedStorage storage;
  std::atomic<int> claims{0};
  storage.Answer<internal::ClaimWebhookEventsRequest, internal::WebhookEvents>(
      "ClaimWebhookEvents", [&claims](const internal::ClaimWebhookEventsRequest& r) {
        internal::WebhookEvents due;
        EXPECT_GT(r.lease_ms(), 0);
        if (++claims == 1) {  // the first claim finds three; later ones none
          *due.add_events() = Due(1, 0, "hello");
          *due.add_events() = Due(2, 3, "again");
          *due.add_events() = Due(3, 0, "and more");
        }
        return due;
      });
  std::promise<internal::FinishWebhookEventsRequest> finished;
  storage.Answer<internal::FinishWebhookEventsRequest, internal::FinishWebhookEventsResponse>(
      "FinishWebhookEvents", [&finished](const internal::FinishWebhookEventsRequest& r) {
        finished.set_value(r);
        return internal::FinishWebhookEventsResponse();
      });

  WebhookOutbox outbox(&storage, client.get(), {milliseconds(20), 100}, nullptr);
  outbox.Start();
  auto finish = finished.get_future();
  ASSERT_EQ(finish.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const internal::FinishWebhookEventsRequest done = finish.get();
  std::vector<std::uint64_t> delivered(done.delivered().begin(), done.delivered().end());
  std::sort(delivered.begin(), delivered.end());
  EXPECT_EQ(delivered, (std::vector<std::uint64_t>{1, 3}));
  ASSERT_EQ(done.retry_size(), 1);
  EXPECT_EQ(done.retry(0).event_id(), 2u);
  EXPECT_EQ(done.retry(0).delay_ms(), 8000) << "the fourth failure waits 8 s";

  // Each went as JSON with its id as the idempotency key.
  ASSERT_TRUE(hook.WaitForRequests(3, milliseconds(1000)));
  for (const auto& request : hook.requests()) {
    webhook::Event posted;
    ASSERT_TRUE(common::ProtoFromJson(request.body, &posted).ok()) << request.body;
    EXPECT_EQ(request.headers.at("idempotency-key"), std::to_string(posted.event_id()));
    EXPECT_EQ(posted.message().msg_id(), posted.event_id() * 10);
    EXPECT_EQ(request.target, "/after");
  }
  // It keeps looking (every 20 ms here) and stops when told.
  for (int i = 0; i < 100 && claims < 3; ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_GE(claims, 3);
  outbox.Stop();
}

TEST(WebhookOutboxTest, AStorageThatIsDownIsTriedAgainLater) {
  HookServer hook([](const HookServer::Request&) { return HookServer::Reply{}; });
  auto client = *WebhookClient::Create({hook.url(), milliseconds(2000), 4, 100}, nullptr);
  ScriptedStorage storage;  // ClaimWebhookEvents not scripted: every claim fails
  WebhookOutbox outbox(&storage, client.get(), {milliseconds(10), 100}, nullptr);
  outbox.Start();
  for (int i = 0; i < 100 && storage.CallsTo("ClaimWebhookEvents") < 3; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  outbox.Stop();
  EXPECT_GE(storage.CallsTo("ClaimWebhookEvents"), 3);
  EXPECT_EQ(hook.requests().size(), 0u);
}

}  // namespace
}  // namespace im::logic
