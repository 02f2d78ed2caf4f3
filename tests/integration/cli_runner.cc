#include "tests/integration/cli_runner.h"

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/cluster_env.h"

namespace im::testing {

std::string CliPath() { return std::string(IM_BINARY_DIR) + "/client-cli/im-cli"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

bool WaitForText(const std::string& path, const std::string& text, int seconds) {
  for (int i = 0; i < seconds * 10 && ReadFile(path).find(text) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ReadFile(path).find(text) != std::string::npos;
}

int Occurrences(const std::string& haystack, const std::string& text) {
  int n = 0;
  for (auto at = haystack.find(text); at != std::string::npos; at = haystack.find(text, at + 1)) {
    ++n;
  }
  return n;
}

CliResult RunCli(const std::vector<std::string>& args, const std::string& env,
                 const std::string& input) {
  const std::string dir = SharedCluster().dir();
  std::ofstream(dir + "/cli.in") << input;
  std::string command = env + " " + CliPath();
  for (const auto& a : args) command += " '" + a + "'";
  command += " < " + dir + "/cli.in > " + dir + "/cli.out 2> " + dir + "/cli.err";
  const int status = std::system(command.c_str());
  return {WEXITSTATUS(status), ReadFile(dir + "/cli.out"), ReadFile(dir + "/cli.err")};
}

std::vector<std::string> Server() { return {"--server", SharedCluster().access_address()}; }

std::vector<std::string> Args(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace im::testing
