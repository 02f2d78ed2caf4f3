#include "tests/support/network_fault.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/test_env.h"

namespace im::testing {
namespace {

// Runs `nft -f` on `rules`; returns nft's exit status and its output.
std::pair<int, std::string> RunNft(const std::string& rules) {
  const std::string dir = MakeTempDir("im-nft");
  const std::string rules_path = dir + "/rules.nft";
  const std::string output_path = dir + "/nft.out";
  std::ofstream(rules_path) << rules;
  const std::string command = "nft -f " + rules_path + " > " + output_path + " 2>&1";
  const int status = std::system(command.c_str());
  std::stringstream output;
  output << std::ifstream(output_path).rdbuf();
  RemoveTree(dir);
  return {status, output.str()};
}

std::string PortSet(const std::vector<int>& ports) {
  std::string set = "{ ";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    set += (i == 0 ? "" : ", ") + std::to_string(ports[i]);
  }
  return set + " }";
}

}  // namespace

std::optional<std::string> NetworkFault::Unavailable() {
  if (geteuid() != 0) return "nftables rules need root";
  if (std::system("command -v nft > /dev/null 2>&1") != 0) {
    return "no nft command (apt-get install nftables)";
  }
  const std::string probe = "im_probe_" + std::to_string(getpid());
  auto [status, output] =
      RunNft("add table inet " + probe + "\ndelete table inet " + probe + "\n");
  if (status != 0) return "nft cannot add a table here: " + output;
  return std::nullopt;
}

NetworkFault::NetworkFault() {
  static std::atomic<int> next{0};
  table_ = "im_fault_" + std::to_string(getpid()) + "_" + std::to_string(next++);
}

NetworkFault::~NetworkFault() { Heal(); }

void NetworkFault::Drop(const std::vector<int>& ports, int percent) {
  if (ports.empty() || percent < 1 || percent > 100) {
    throw std::invalid_argument("NetworkFault::Drop: ports and a percent in 1-100");
  }
  Heal();
  const std::string share =
      percent == 100 ? "" : "numgen random mod 100 < " + std::to_string(percent) + " ";
  const std::string set = PortSet(ports);
  std::ostringstream rules;
  rules << "table inet " << table_ << " {\n"
        << "  chain output {\n"
        << "    type filter hook output priority 0; policy accept;\n"
        << "    oifname \"lo\" tcp dport " << set << " " << share << "drop\n"
        << "    oifname \"lo\" tcp sport " << set << " " << share << "drop\n"
        << "  }\n"
        << "}\n";
  auto [status, output] = RunNft(rules.str());
  if (status != 0) throw std::runtime_error("nft refused the fault rules: " + output);
  installed_ = true;
}

void NetworkFault::Heal() {
  if (!installed_) return;
  RunNft("delete table inet " + table_ + "\n");
  installed_ = false;
}

}  // namespace im::testing
