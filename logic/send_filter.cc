#include "logic/send_filter.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "common/str_cat.h"

namespace im::logic {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// `text` with each character inside `ranges` (byte ranges, widened to whole
// UTF-8 characters) replaced by one '*'.
std::string Masked(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>> ranges) {
  std::vector<bool> hidden(text.size(), false);
  for (auto [begin, end] : ranges) {
    while (begin > 0 && IsContinuationByte(static_cast<unsigned char>(text[begin]))) --begin;
    while (end < text.size() && IsContinuationByte(static_cast<unsigned char>(text[end]))) ++end;
    std::fill(hidden.begin() + static_cast<std::ptrdiff_t>(begin),
              hidden.begin() + static_cast<std::ptrdiff_t>(end), true);
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!hidden[i]) {
      out.push_back(text[i]);
    } else if (!IsContinuationByte(static_cast<unsigned char>(text[i]))) {
      out.push_back('*');
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const SendFilter>> SendFilter::Parse(std::string_view list,
                                                                    std::string_view source) {
  auto filter = std::make_shared<SendFilter>();
  std::size_t line_number = 0;
  for (std::size_t start = 0; start < list.size();) {
    const std::size_t end = std::min(list.find('\n', start), list.size());
    const std::string_view line = Trim(list.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(
          common::StrCat(source, " line ", line_number, ": ", why, " (\"", line, "\")"));
    };
    const std::size_t space = line.find_first_of(" \t");
    const std::string_view verb = line.substr(0, space);
    const std::string_view what =
        space == std::string_view::npos ? std::string_view() : Trim(line.substr(space));
    Action action;
    if (verb == "refuse") {
      action = Action::kRefuse;
    } else if (verb == "mask") {
      action = Action::kMask;
    } else {
      return bad("an entry starts with refuse or mask");
    }
    if (what.empty()) return bad("a word or a /pattern/ must follow the action");
    if (what.size() >= 2 && what.front() == '/' && what.back() == '/') {
      try {
        filter->patterns_.push_back(
            {action, std::string(what),
             std::regex(std::string(what.substr(1, what.size() - 2)),
                        std::regex::ECMAScript | std::regex::icase | std::regex::optimize)});
      } catch (const std::regex_error& e) {
        return bad(common::StrCat("a bad pattern: ", e.what()));
      }
      continue;
    }
    if (!std::all_of(what.begin(), what.end(),
                     [](char c) { return IsWordByte(static_cast<unsigned char>(c)); })) {
      return bad("a word is letters, digits and '_' only (use a /pattern/ for more)");
    }
    auto [slot, fresh] = filter->words_.emplace(AsciiLower(what), action);
    if (!fresh && action == Action::kRefuse) slot->second = Action::kRefuse;
  }
  return std::shared_ptr<const SendFilter>(std::move(filter));
}

absl::StatusOr<std::shared_ptr<const SendFilter>> SendFilter::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(common::StrCat("cannot read the filter ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

SendFilter::Verdict SendFilter::Apply(std::string_view text) const {
  Verdict verdict;
  std::vector<std::pair<std::size_t, std::size_t>> to_mask;
  if (!words_.empty()) {
    for (std::size_t i = 0; i < text.size();) {
      if (!IsWordByte(static_cast<unsigned char>(text[i]))) {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < text.size() && IsWordByte(static_cast<unsigned char>(text[end]))) ++end;
      const auto found = words_.find(AsciiLower(text.substr(i, end - i)));
      if (found != words_.end()) {
        if (found->second == Action::kRefuse) {
          verdict.refused = true;
          verdict.rule = common::StrCat("refuse ", found->first);
          return verdict;
        }
        to_mask.emplace_back(i, end);
      }
      i = end;
    }
  }
  for (const Pattern& pattern : patterns_) {
    for (auto match = std::cregex_iterator(text.data(), text.data() + text.size(), pattern.regex);
         match != std::cregex_iterator(); ++match) {
      if (match->length() == 0) continue;
      if (pattern.action == Action::kRefuse) {
        verdict.refused = true;
        verdict.rule = common::StrCat("refuse ", pattern.written);
        return verdict;
      }
      const auto begin = static_cast<std::size_t>(match->position());
      to_mask.emplace_back(begin, begin + static_cast<std::size_t>(match->length()));
    }
  }
  if (!to_mask.empty()) {
    verdict.masked = true;
    verdict.text = Masked(text, std::move(to_mask));
  }
  return verdict;
}

}  // namespace im::logic
