#include "logic/desk_directory.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/str_cat.h"

namespace im::logic {
namespace {

constexpr std::size_t kMaxAgentsPerDesk = 1000;

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const DeskDirectory>> DeskDirectory::Parse(
    std::string_view text, std::string_view source) {
  auto directory = std::make_shared<DeskDirectory>();
  std::istringstream lines{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    if (Words(line).empty()) continue;
    auto fail = [&](std::string_view why) {
      return absl::InvalidArgumentError(common::StrCat(source, " line ", number, ": ", why));
    };
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return fail("a line is 'desk: agent agent ...'");
    const std::vector<std::string> desk = Words(line.substr(0, colon));
    std::vector<std::string> agents = Words(line.substr(colon + 1));
    if (desk.size() != 1) return fail("one desk account before the colon");
    if (agents.empty()) return fail("a desk needs at least one agent");
    if (agents.size() > kMaxAgentsPerDesk) {
      return fail(common::StrCat("at most ", kMaxAgentsPerDesk, " agents per desk"));
    }
    if (std::find(agents.begin(), agents.end(), desk[0]) != agents.end()) {
      return fail("the desk account cannot be its own agent");
    }
    std::sort(agents.begin(), agents.end());
    agents.erase(std::unique(agents.begin(), agents.end()), agents.end());
    if (!directory->agents_.emplace(desk[0], std::move(agents)).second) {
      return fail(common::StrCat("desk '", desk[0], "' is listed twice"));
    }
  }
  return std::shared_ptr<const DeskDirectory>(std::move(directory));
}

absl::StatusOr<std::shared_ptr<const DeskDirectory>> DeskDirectory::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(common::StrCat("cannot read the desk file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

const std::vector<std::string>* DeskDirectory::AgentsOf(std::string_view desk) const {
  auto it = agents_.find(desk);
  return it == agents_.end() ? nullptr : &it->second;
}

bool DeskDirectory::IsAgent(std::string_view desk, std::string_view user) const {
  const auto* agents = AgentsOf(desk);
  return agents != nullptr && std::binary_search(agents->begin(), agents->end(), user);
}

std::vector<std::string> DeskDirectory::DesksOf(std::string_view user) const {
  std::vector<std::string> desks;
  for (const auto& [desk, agents] : agents_) {
    if (std::binary_search(agents.begin(), agents.end(), user)) desks.push_back(desk);
  }
  return desks;
}

}  // namespace im::logic
