#pragma once
// HookServer: a small HTTP/1.1 server on 127.0.0.1 (a free port below the
// kernel's ephemeral range, so it is still free at Start()) standing in
// for an operator's webhook in tests. It records every request and answers
// each with what the test's `answer` returns (after that reply's delay, if
// any). Keep-alive unless a reply says close. Stop() takes it down (the
// listener and every connection), Start() brings it back on the same port:
// a hook that is down, then up again. Thread-safe; runs its own thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace im::testing {

class HookServer {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // names lower-case
    std::string body;
  };
  struct Reply {
    unsigned status = 200;
    std::string body = "{}";
    std::chrono::milliseconds delay{0};
    bool close = false;  // close the connection after this answer
  };
  using Answer = std::function<Reply(const Request&)>;

  // Listens at once; `answer` may be replaced with SetAnswer.
  explicit HookServer(Answer answer);
  ~HookServer();
  HookServer(const HookServer&) = delete;
  HookServer& operator=(const HookServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  void SetAnswer(Answer answer);

  std::vector<Request> requests() const;
  // Waits until `count` requests came (true), or `timeout` passed.
  bool WaitForRequests(std::size_t count, std::chrono::milliseconds timeout) const;
  // Connections accepted so far.
  std::size_t connections() const;

  void Stop();
  void Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace im::testing
