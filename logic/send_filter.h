#pragma once
// The operator's word filter on sends ("filter maintenance" in the design):
// every text of a 1:1 or group send passes it before storage.
//
// A filter is a list of entries, each a word or a pattern with an action:
//   refuse  the send is refused, nothing is stored;
//   mask    each match is replaced by one '*' per character, the masked text
//           is what gets stored and delivered, and the sender's ack says so.
// A word matches whole words only (letters, digits, '_' and any non-ASCII
// character make up words), ignoring ASCII case. A pattern is an ECMAScript
// regular expression, ignoring case, matched anywhere in the text; a match
// is widened to whole UTF-8 characters before it is masked. Refusal wins
// over masking.
//
// The list's text, one entry per line ('#' starts a comment line):
//   refuse WORD
//   mask WORD
//   refuse /PATTERN/
//   mask /PATTERN/
//
// A SendFilter is immutable: logic holds the current one in a
// SendFilterHolder and replaces it whole when the operator asks for a reload
// (SIGHUP), so a send in flight keeps the filter it started with.

#include <atomic>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "logic/swappable.h"

namespace im::logic {

class SendFilter {
 public:
  struct Verdict {
    bool refused = false;
    std::string rule;  // the refusing entry, as written in the list ("refuse spam")
    bool masked = false;
    std::string text;  // with `masked`: the text with every mask match starred
  };

  // INVALID_ARGUMENT naming `source` and the line for an entry it cannot read
  // (an unknown action, an empty word, a bad pattern).
  static absl::StatusOr<std::shared_ptr<const SendFilter>> Parse(std::string_view list,
                                                                 std::string_view source);
  // Parse of the file at `path`; INVALID_ARGUMENT if it cannot be read.
  static absl::StatusOr<std::shared_ptr<const SendFilter>> Load(const std::string& path);

  Verdict Apply(std::string_view text) const;
  std::size_t entries() const { return words_.size() + patterns_.size(); }

 private:
  enum class Action { kRefuse, kMask };
  struct Pattern {
    Action action;
    std::string written;  // "/.../" as in the list
    std::regex regex;
  };
  std::unordered_map<std::string, Action> words_;  // lowercase word -> action
  std::vector<Pattern> patterns_;
};

// The filter in force (logic/swappable.h).
using SendFilterHolder = Swappable<SendFilter>;

}  // namespace im::logic
