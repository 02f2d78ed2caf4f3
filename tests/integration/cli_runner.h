#pragma once
// Running the real im-cli binary from integration tests, as a user would:
// one-shot commands with their output and exit code, and waiting for text to
// appear in the log of one running in the background (or on a terminal).

#include <string>
#include <vector>

namespace im::testing {

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

std::string CliPath();
std::string ReadFile(const std::string& path);
// Waits up to `seconds` until the file at `path` contains `text`; whether it does.
bool WaitForText(const std::string& path, const std::string& text, int seconds = 10);
// How often `text` occurs in `haystack`.
int Occurrences(const std::string& haystack, const std::string& text);

// Runs im-cli with `args` (each single-quoted), `env` assignments and `input` on stdin.
CliResult RunCli(const std::vector<std::string>& args, const std::string& env = "",
                 const std::string& input = "");
// {"--server", the shared cluster's first access node}.
std::vector<std::string> Server();
std::vector<std::string> Args(std::vector<std::string> head, const std::vector<std::string>& tail);

}  // namespace im::testing
