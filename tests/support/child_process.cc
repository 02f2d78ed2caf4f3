#include "tests/support/child_process.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>

namespace im::testing {

ChildProcess::~ChildProcess() {
  Stop(std::chrono::seconds(5));
  CloseTerminal();
}

namespace {

// Runs every fork on one thread that lives until the test binary exits:
// PR_SET_PDEATHSIG signals a child when the thread that forked it ends, and
// tests start daemons from threads that end (the delivery checker restarts
// access nodes from its fault thread).
class Spawner {
 public:
  static Spawner& Get() {
    static Spawner* spawner = new Spawner();  // never destroyed: its thread lasts to exit
    return *spawner;
  }

  // Runs `fork_child` (which forks and returns the child's pid) on the
  // spawner thread and returns its result.
  pid_t Run(std::function<pid_t()> fork_child) {
    std::packaged_task<pid_t()> task(std::move(fork_child));
    auto result = task.get_future();
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return result.get();
  }

 private:
  Spawner() {
    std::thread([this] {
      for (;;) {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return !tasks_.empty(); });
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
      }
    }).detach();
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<pid_t()>> tasks_;
};

// What the child execs, made before fork: between fork and exec a child of
// a threaded process may only make async-signal-safe calls. It must not
// allocate: another thread may have held the allocator's lock at the fork
// (seen as a restarted im-access hanging before main under ASan).
struct ExecImage {
  std::vector<std::string> env;  // owns the strings `envp` points at
  std::vector<char*> args;
  std::vector<char*> envp;
};

// `argv`, and this process's environment with `env` ("NAME=value") added
// or replacing what has the same name.
ExecImage PrepareExec(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  ExecImage image;
  image.env = env;
  for (const auto& a : argv) image.args.push_back(const_cast<char*>(a.c_str()));
  image.args.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view inherited(*e);
    const std::string_view name = inherited.substr(0, inherited.find('=') + 1);
    bool replaced = false;
    for (const auto& added : env) replaced |= std::string_view(added).substr(0, name.size()) == name;
    if (!replaced) image.envp.push_back(*e);
  }
  for (auto& added : image.env) image.envp.push_back(added.data());
  image.envp.push_back(nullptr);
  return image;
}

// In the forked child: dies with the test binary (PR_SET_PDEATHSIG; at once
// if `parent` is already gone) and becomes `image`. Async-signal-safe only.
[[noreturn]] void ExecChild(const ExecImage& image, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  execve(image.args[0], image.args.data(), image.envp.data());
  constexpr char kFailed[] = "execve failed\n";
  [[maybe_unused]] auto written = write(2, kFailed, sizeof kFailed - 1);
  _exit(127);
}

}  // namespace

void ChildProcess::Start(const std::vector<std::string>& argv, const std::string& log_path,
                         const std::vector<std::string>& env) {
  log_path_ = log_path;
  const pid_t parent = getpid();
  const ExecImage image = PrepareExec(argv, env);
  pid_ = Spawner::Get().Run([&]() -> pid_t {
    const pid_t pid = fork();
    if (pid != 0) return pid;
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    // Its own process group, so a terminal's Ctrl-C reaches only the test
    // binary, whose destructors stop it; a test binary killed hard (SIGKILL,
    // say by a ctest timeout) takes it along: the kernel sends SIGKILL when
    // the spawner thread ends, which is when the test binary does. If the
    // binary died before this line, go now.
    setpgid(0, 0);
    ExecChild(image, parent);
  });
  if (pid_ < 0) {
    std::perror("fork");
    std::abort();
  }
}

void ChildProcess::StartOnTerminal(const std::vector<std::string>& argv,
                                   const std::string& log_path,
                                   const std::vector<std::string>& env) {
  log_path_ = log_path;
  int controller = -1, terminal = -1;
  winsize size{};
  size.ws_row = 40;
  size.ws_col = 160;
  if (openpty(&controller, &terminal, nullptr, nullptr, &size) != 0) {
    std::perror("openpty");
    std::abort();
  }
  const pid_t parent = getpid();
  const ExecImage image = PrepareExec(argv, env);
  pid_ = Spawner::Get().Run([&]() -> pid_t {
    const pid_t pid = fork();
    if (pid != 0) return pid;
    setsid();  // a session of its own, with the terminal as its controlling one
    ioctl(terminal, TIOCSCTTY, 0);
    dup2(terminal, 0);
    dup2(terminal, 1);
    dup2(terminal, 2);
    close(terminal);
    close(controller);
    ExecChild(image, parent);
  });
  close(terminal);
  if (pid_ < 0) {
    std::perror("fork");
    std::abort();
  }
  terminal_ = controller;
  copier_ = std::thread([controller, log_path] {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    char buffer[4096];
    for (;;) {
      const ssize_t n = read(controller, buffer, sizeof buffer);
      if (n <= 0) break;  // EIO once the program and its children are gone
      [[maybe_unused]] auto written = write(log, buffer, static_cast<std::size_t>(n));
    }
    close(log);
  });
}

void ChildProcess::Type(const std::string& keys) {
  if (terminal_ < 0) return;
  [[maybe_unused]] auto written = write(terminal_, keys.data(), keys.size());
}

void ChildProcess::CloseTerminal() {
  if (terminal_ < 0) return;
  if (copier_.joinable()) copier_.join();  // ends when the program is gone (EIO)
  close(terminal_);
  terminal_ = -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

void ChildProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace im::testing
