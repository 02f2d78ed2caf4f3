#pragma once
// A child process started by a test, with stdout+stderr in a log file. Stop()
// sends SIGTERM and waits (SIGKILL after a grace period); the destructor stops
// it too, so a failing test leaves nothing running, and a test binary that is
// killed (say, by a ctest timeout) takes its children with it
// (PR_SET_PDEATHSIG; every child is forked by one thread that lasts as long
// as the binary). Only ever signals its own PID.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace im::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv[0]` (a path) with `argv`; extra `env` entries ("K=V") are added
  // to the current environment. Aborts the test binary if fork/exec fails.
  void Start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::vector<std::string>& env = {});

  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status
  // (as from waitpid), or -1 if it was not running.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void Kill();  // SIGKILL and reap
  // Waits up to `timeout` for the process to exit by itself. Returns its exit
  // code, or -1 if it is still running (it is left running).
  int WaitExit(std::chrono::milliseconds timeout);

  bool running();
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace im::testing
