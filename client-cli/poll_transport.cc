#include "client-cli/poll_transport.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "client.pb.h"
#include "common/client_status.h"
#include "common/frame_codec.h"
#include "common/str_cat.h"

namespace im::cli {
namespace {

struct HttpAnswer {
  int status = 0;
  std::string body;
  bool keep_alive = true;
};

// One HTTP/1.1 connection, used by one thread at a time: a request out, its
// answer in. Opened (again) on demand.
class HttpChannel {
 public:
  // `stream`: an open connection to use first (may be null).
  HttpChannel(const Connector& connect, std::string host_port,
              std::unique_ptr<ClientTransport> stream = nullptr)
      : connect_(connect), host_port_(std::move(host_port)), stream_(std::move(stream)) {}

  // Sends `method` `target` with `headers` and `body`; reads the answer. A
  // connection the server closed while idle is opened again once.
  absl::StatusOr<HttpAnswer> RoundTrip(std::string_view method, const std::string& target,
                                       std::string_view headers, std::string_view body) {
    const std::string request = common::StrCat(
        method, " ", target, " HTTP/1.1\r\nHost: ", host_port_, "\r\n", headers,
        body.empty() && method == "GET" ? ""
                                        : common::StrCat("Content-Type: application/octet-stream"
                                                         "\r\nContent-Length: ",
                                                         body.size(), "\r\n"),
        "\r\n", body);
    for (int attempt = 0;; ++attempt) {
      const bool reused = stream_ != nullptr;
      if (!stream_) {
        auto opened = connect_();
        if (!opened.ok()) return opened.status();
        std::lock_guard lock(mutex_);
        if (shut_down_) return absl::UnavailableError("connection shut down");
        stream_ = std::move(*opened);
      }
      bool got_any = false;
      absl::StatusOr<HttpAnswer> answer = stream_->Send(request).ok()
                                              ? ReadAnswer(&got_any)
                                              : absl::UnavailableError("connection lost");
      if (answer.ok() && answer->keep_alive) return answer;
      Drop();
      if (answer.ok() || got_any || !reused || attempt > 0) return answer;
      // A kept-alive connection the server had closed: once more on a new one.
    }
  }

  void Shutdown() {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    if (stream_) stream_->Shutdown();
  }

 private:
  absl::StatusOr<HttpAnswer> ReadAnswer(bool* got_any) {
    std::size_t header_end;
    while ((header_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (in_.size() > 16 * 1024) return absl::UnavailableError("HTTP header too long");
      if (!Fill()) return absl::UnavailableError("connection lost");
      *got_any = true;
    }
    *got_any = true;
    const std::string_view head(in_.data(), header_end);
    HttpAnswer answer;
    // "HTTP/1.1 200 OK"
    if (head.size() < 12 || !head.starts_with("HTTP/1.")) {
      return absl::UnavailableError("not an HTTP answer");
    }
    std::from_chars(head.data() + 9, head.data() + 12, answer.status);
    std::size_t length = 0;
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
      const std::size_t next = head.find("\r\n", at + 2);
      std::string line(head.substr(at + 2, next == std::string_view::npos ? head.npos
                                                                           : next - at - 2));
      std::transform(line.begin(), line.end(), line.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (line.starts_with("content-length:")) {
        std::string_view value = std::string_view(line).substr(15);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        std::from_chars(value.data(), value.data() + value.size(), length);
      } else if (line.starts_with("connection:") && line.find("close") != std::string::npos) {
        answer.keep_alive = false;
      }
      at = next;
    }
    in_.erase(0, header_end + 4);
    while (in_.size() < length) {
      if (!Fill()) return absl::UnavailableError("connection lost");
    }
    answer.body = in_.substr(0, length);
    in_.erase(0, length);
    return answer;
  }

  bool Fill() {
    char buffer[64 * 1024];
    const std::size_t n = stream_->Receive(buffer, sizeof buffer);
    in_.append(buffer, n);
    return n > 0;
  }

  void Drop() {
    std::lock_guard lock(mutex_);
    stream_.reset();
    in_.clear();
  }

  const Connector& connect_;
  const std::string host_port_;
  std::unique_ptr<ClientTransport> stream_;
  std::mutex mutex_;  // stream_ replaced vs Shutdown
  bool shut_down_ = false;
  std::string in_;
};

class LongPoll final : public ClientTransport {
 public:
  // `first`: a connection to the server, for the first requests.
  LongPoll(Connector connect, PollUrl url, std::unique_ptr<ClientTransport> first)
      : connect_(std::move(connect)),
        url_(std::move(url)),
        requests_(connect_, url_.host_port, std::move(first)),
        polls_(connect_, url_.host_port) {}

  ~LongPoll() override {
    Shutdown();
    if (poller_.joinable()) poller_.join();
  }

  std::size_t Receive(char* buffer, std::size_t size) override {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return received_pos_ < received_.size() || ended_; });
    if (received_pos_ == received_.size()) return 0;
    const std::size_t n = std::min(size, received_.size() - received_pos_);
    std::memcpy(buffer, received_.data() + received_pos_, n);
    received_pos_ += n;
    if (received_pos_ == received_.size()) {
      received_.clear();
      received_pos_ = 0;
    }
    return n;
  }

  absl::Status Send(std::string_view bytes) override {
    if (!decoder_.Append(bytes).ok()) return End(absl::InvalidArgumentError("bad frame"));
    while (auto body = decoder_.Next()) {
      if (absl::Status sent = Post(std::string(*body)); !sent.ok()) return sent;
    }
    return absl::OkStatus();
  }

  void Shutdown() override {
    std::string token;
    {
      std::lock_guard lock(mutex_);
      if (shutting_down_) return;
      shutting_down_ = true;
      if (!ended_) token = token_;
    }
    if (!token.empty()) {
      // Best effort, on a connection of its own (a Send may hold the other).
      HttpChannel closer(connect_, url_.host_port);
      closer.RoundTrip("POST", url_.path + "/close", Bearer(token), "").IgnoreError();
    }
    requests_.Shutdown();
    polls_.Shutdown();
    End(absl::OkStatus()).IgnoreError();
  }

  bool encrypted() const override { return url_.secure; }

 private:
  static std::string Bearer(const std::string& token) {
    return common::StrCat("Authorization: Bearer ", token, "\r\n");
  }

  // POSTs one frame; its answer goes to Receive.
  absl::Status Post(std::string frame) {
    std::string token;
    {
      std::lock_guard lock(mutex_);
      if (ended_) return absl::UnavailableError("connection lost: the session ended");
      token = token_;
    }
    const bool login = token.empty();
    auto answer = requests_.RoundTrip("POST", url_.path + (login ? "/login" : "/request"),
                                      login ? "" : Bearer(token), frame);
    if (!answer.ok()) return End(answer.status());
    if (answer->status != 200) return End(HttpError(*answer));
    if (login) StartPollingIfLoggedIn(answer->body);
    Hand(answer->body);
    return absl::OkStatus();
  }

  void StartPollingIfLoggedIn(std::string_view frames) {
    common::FrameDecoder decoder(frames.size() + 1);
    decoder.Append(frames).IgnoreError();
    while (auto body = decoder.Next()) {
      client::ServerFrame answer;
      if (!answer.ParseFromArray(body->data(), static_cast<int>(body->size())) ||
          answer.status().code() != 0 || !answer.has_login() ||
          answer.login().session_token().empty()) {
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        if (!token_.empty() || shutting_down_) return;
        token_ = answer.login().session_token();
      }
      poller_ = std::thread([this] { PollLoop(); });
      return;
    }
  }

  void PollLoop() {
    const std::string headers = Bearer(token_);  // set once, before this thread started
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (ended_) return;
      }
      auto answer = polls_.RoundTrip("GET", url_.path + "/events", headers, "");
      if (!answer.ok()) return End(answer.status()).IgnoreError();
      if (answer->status != 200) return End(HttpError(*answer)).IgnoreError();
      Hand(answer->body);
    }
  }

  static absl::Status HttpError(const HttpAnswer& answer) {
    std::string text = answer.body;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const std::string message = common::StrCat("HTTP ", answer.status, ": ", text);
    if (answer.status == 401) return absl::UnauthenticatedError(message);
    return absl::UnavailableError(message);
  }

  void Hand(std::string_view frames) {
    if (frames.empty()) return;
    {
      std::lock_guard lock(mutex_);
      received_.append(frames);
    }
    changed_.notify_all();
  }

  // Ends the stream; an error reaches the client as the server's last word
  // would (a status frame), so it can tell why. Returns that error.
  absl::Status End(absl::Status why) {
    {
      std::lock_guard lock(mutex_);
      if (ended_) return why;
      ended_ = true;
      if (!why.ok() && !shutting_down_) {
        client::ServerFrame last;
        common::SetClientStatus(why, last.mutable_status());
        received_ += common::EncodeFrame(last);
      }
    }
    changed_.notify_all();
    if (!why.ok()) {
      requests_.Shutdown();
      polls_.Shutdown();
    }
    return absl::UnavailableError(common::StrCat("connection lost: ", why.message()));
  }

  const Connector connect_;
  const PollUrl url_;
  HttpChannel requests_;
  HttpChannel polls_;
  common::FrameDecoder decoder_{64 << 20};  // Send's frames (the caller serialises Sends)
  std::thread poller_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string token_;
  std::string received_;
  std::size_t received_pos_ = 0;
  bool ended_ = false;
  bool shutting_down_ = false;
};

}  // namespace

std::unique_ptr<ClientTransport> PollTransport(Connector connect, const PollUrl& url,
                                               std::unique_ptr<ClientTransport> first) {
  return std::make_unique<LongPoll>(std::move(connect), url, std::move(first));
}

}  // namespace im::cli
