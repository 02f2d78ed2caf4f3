#include "logic/webhook_client.h"

#include <gtest/gtest.h>

#include <future>

#include "tests/support/hook_server.h"

namespace im::logic {
namespace {

using std::chrono::milliseconds;
using testing::HookServer;

// Posts and waits for the answer.
absl::StatusOr<WebhookClient::Answer> PostAndWait(WebhookClient& client, std::string body,
                                                  WebhookClient::Headers headers = {}) {
  std::promise<absl::StatusOr<WebhookClient::Answer>> answered;
  auto answer = answered.get_future();
  client.Post(std::move(body), std::move(headers),
              [&answered](absl::StatusOr<WebhookClient::Answer> a) {
                answered.set_value(std::move(a));
              });
  return answer.get();
}

std::unique_ptr<WebhookClient> ClientFor(const std::string& url, milliseconds timeout,
                                         std::size_t connections = 8, std::size_t pending = 1000) {
  auto client = WebhookClient::Create({url, timeout, connections, pending}, nullptr);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

TEST(WebhookClientTest, ParsesHttpUrlsOnly) {
  auto url = WebhookClient::ParseUrl("http://hooks.internal:8080/im/before?x=1");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "hooks.internal");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/im/before?x=1");
  url = WebhookClient::ParseUrl("http://10.0.0.5");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->target, "/");
  EXPECT_NE(WebhookClient::ParseUrl("https://hooks/x").status().message().find("https is not"),
            std::string::npos);
  for (const char* bad : {"", "hooks:80/x", "ftp://x/", "http://:80/", "http://h:0/",
                          "http://h:99999/", "http://h:8a/", "http://user@h/"}) {
    EXPECT_FALSE(WebhookClient::ParseUrl(bad).ok()) << bad;
  }
}

TEST(WebhookClientTest, PostsJsonWithItsHeadersAndReusesTheConnection) {
  HookServer hook([](const HookServer::Request& r) {
    return HookServer::Reply{201, "{\"echo\":" + r.body + "}"};
  });
  auto client = ClientFor(hook.url("/in"), milliseconds(2000));
  for (int i = 0; i < 3; ++i) {
    auto answer = PostAndWait(*client, "{\"n\":" + std::to_string(i) + "}", {{"Idempotency-Key", "7"}});
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->status, 201u);
    EXPECT_EQ(answer->body, "{\"echo\":{\"n\":" + std::to_string(i) + "}}");
  }
  const auto seen = hook.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/in");
  EXPECT_EQ(seen[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(seen[0].headers.at("idempotency-key"), "7");
  EXPECT_EQ(hook.connections(), 1u) << "kept alive";
}

TEST(WebhookClientTest, AnAnswerLaterThanTheTimeoutIsDeadlineExceeded) {
  HookServer hook([](const HookServer::Request&) {
    return HookServer::Reply{200, "{}", milliseconds(1500)};
  });
  auto client = ClientFor(hook.url(), milliseconds(200));
  const auto started = std::chrono::steady_clock::now();
  auto answer = PostAndWait(*client, "{}");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kDeadlineExceeded) << answer.status();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1200));
}

TEST(WebhookClientTest, AHookThatIsDownIsUnavailableAndOneThatClosedAnIdleConnectionIsRetried) {
  HookServer hook([](const HookServer::Request&) { return HookServer::Reply{}; });
  auto client = ClientFor(hook.url(), milliseconds(2000));
  ASSERT_TRUE(PostAndWait(*client, "{}").ok());
  hook.Stop();  // the idle connection is closed too
  auto down = PostAndWait(*client, "{}");
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  hook.Start();
  auto back = PostAndWait(*client, "{}");
  ASSERT_TRUE(back.ok()) << back.status();

  hook.Stop();
  hook.Start();  // the connection `back` came on is gone; a new one is made
  auto again = PostAndWait(*client, "{}");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(hook.requests().size(), 3u);
}

TEST(WebhookClientTest, PostsBeyondMaxPendingAreRefusedAtOnceAndConnectionsAreCapped) {
  HookServer hook([](const HookServer::Request&) {
    return HookServer::Reply{200, "{}", milliseconds(300)};
  });
  auto client = ClientFor(hook.url(), milliseconds(5000), /*connections=*/1, /*pending=*/2);
  std::promise<absl::StatusOr<WebhookClient::Answer>> first, second;
  client->Post("{}", {}, [&](auto a) { first.set_value(std::move(a)); });
  client->Post("{}", {}, [&](auto a) { second.set_value(std::move(a)); });
  auto third = PostAndWait(*client, "{}");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted) << third.status();
  EXPECT_TRUE(first.get_future().get().ok());
  EXPECT_TRUE(second.get_future().get().ok());
  EXPECT_EQ(hook.connections(), 1u) << "the second waited for the one connection";
  EXPECT_TRUE(PostAndWait(*client, "{}").ok()) << "room again";
}

TEST(WebhookClientTest, DestroyingItAnswersWhatIsLeftUnavailable) {
  HookServer hook([](const HookServer::Request&) {
    return HookServer::Reply{200, "{}", milliseconds(3000)};
  });
  auto client = ClientFor(hook.url(), milliseconds(10000));
  std::promise<absl::StatusOr<WebhookClient::Answer>> answered;
  client->Post("{}", {}, [&](auto a) { answered.set_value(std::move(a)); });
  ASSERT_TRUE(hook.WaitForRequests(1, milliseconds(2000)));
  client.reset();
  auto answer = answered.get_future();
  ASSERT_EQ(answer.wait_for(milliseconds(0)), std::future_status::ready);
  EXPECT_EQ(answer.get().status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace im::logic
