#pragma once
// Private MariaDB and Redis servers for tests: loopback only, on free ports,
// data in a temporary directory that is removed when the object is destroyed
// (after the server is stopped). Start() throws std::runtime_error with the
// server's log tail if it does not come up.

#include <string>

#include "tests/support/child_process.h"

namespace im::testing {

class MariaDbServer {
 public:
  MariaDbServer();
  ~MariaDbServer();
  // Makes the data directory on first start; later starts reuse it (after
  // Stop or Kill, as a restarted server would, with crash recovery).
  void Start();
  void Stop();
  void Kill() { process_.Kill(); }  // SIGKILL: no clean shutdown
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int port_;
  ChildProcess process_;
};

class RedisServer {
 public:
  // With `password`, clients must AUTH with it (requirepass).
  explicit RedisServer(std::string password = "");
  ~RedisServer();
  void Start();
  void Stop();
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }

 private:
  std::string dir_;
  int port_;
  std::string password_;
  ChildProcess process_;
};

}  // namespace im::testing
