#pragma once
// A child process started by a test, with stdout+stderr in a log file. Stop()
// sends SIGTERM and waits (SIGKILL after a grace period); the destructor stops
// it too, so a failing test leaves nothing running, and a test binary that is
// killed (say, by a ctest timeout) takes its children with it
// (PR_SET_PDEATHSIG; every child is forked by one thread that lasts as long
// as the binary). Only ever signals its own PID. StartOnTerminal runs an
// interactive program (im-cli's REPL) on a pseudo-terminal instead: Type()
// is what a person types, and what the program shows goes to the log.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
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

  // The same on a new pseudo-terminal: its stdin, stdout and stderr; the
  // program is the terminal's session leader and sees a TTY.
  void StartOnTerminal(const std::vector<std::string>& argv, const std::string& log_path,
                       const std::vector<std::string>& env = {});
  // Writes `keys` to the terminal, as typed ("\n" ends a line; "\x04" is Ctrl-D).
  void Type(const std::string& keys);

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
  void CloseTerminal();  // once the process is gone: stop copying its output

  pid_t pid_ = -1;
  std::string log_path_;
  int terminal_ = -1;   // the pseudo-terminal's master end (StartOnTerminal)
  std::thread copier_;  // terminal output -> log
};

}  // namespace im::testing
