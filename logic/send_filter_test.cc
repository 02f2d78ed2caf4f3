// SendFilter: the list's syntax and its errors, whole-word and pattern
// matching, masking by character (UTF-8 included), and refusal winning.

#include "logic/send_filter.h"

#include <gtest/gtest.h>

namespace im::logic {
namespace {

std::shared_ptr<const SendFilter> Filter(std::string_view list) {
  auto filter = SendFilter::Parse(list, "test.list");
  EXPECT_TRUE(filter.ok()) << filter.status();
  return filter.ok() ? *filter : nullptr;
}

TEST(SendFilterTest, WordsMatchWholeWordsIgnoringCase) {
  auto filter = Filter("# the operator's list\n\nmask darn\nrefuse spamlink\n");
  ASSERT_NE(filter, nullptr);
  EXPECT_EQ(filter->entries(), 2u);
  SendFilter::Verdict v = filter->Apply("Darn it, darn.");
  EXPECT_FALSE(v.refused);
  EXPECT_TRUE(v.masked);
  EXPECT_EQ(v.text, "**** it, ****.");
  v = filter->Apply("darned and undarn are other words");
  EXPECT_FALSE(v.masked) << v.text;
  v = filter->Apply("buy at SpamLink now");
  EXPECT_TRUE(v.refused);
  EXPECT_EQ(v.rule, "refuse spamlink");
  v = filter->Apply("nothing here");
  EXPECT_FALSE(v.refused);
  EXPECT_FALSE(v.masked);
}

TEST(SendFilterTest, PatternsMatchAnywhereAndMaskWholeCharacters) {
  auto filter = Filter("mask /[0-9]{3}-[0-9]{4}/\nmask /héllo/\nrefuse /https?://bad\\.example/\n");
  ASSERT_NE(filter, nullptr);
  SendFilter::Verdict v = filter->Apply("call 555-1234 now");
  EXPECT_TRUE(v.masked);
  EXPECT_EQ(v.text, "call ******** now");
  v = filter->Apply("HÉllo wörld, héllo");  // 'É' is not ASCII: case is not folded for it
  EXPECT_EQ(v.text, "HÉllo wörld, *****");
  v = filter->Apply("see http://bad.example/x");
  EXPECT_TRUE(v.refused);
  EXPECT_EQ(v.rule, "refuse /https?://bad\\.example/");
}

TEST(SendFilterTest, AMatchInsideAMultiByteCharacterMasksTheWholeCharacter) {
  // "é" is two bytes; a pattern matching only its second byte still stars it
  // as one character, so the stored text stays valid UTF-8.
  auto filter = Filter("mask /\\xA9/\n");
  ASSERT_NE(filter, nullptr);
  const SendFilter::Verdict v = filter->Apply("caf\xC3\xA9!");
  EXPECT_TRUE(v.masked);
  EXPECT_EQ(v.text, "caf*!");
}

TEST(SendFilterTest, RefusalWinsOverMasking) {
  auto filter = Filter("mask darn\nrefuse /forbidden/\n");
  ASSERT_NE(filter, nullptr);
  const SendFilter::Verdict v = filter->Apply("darn, this is forbidden");
  EXPECT_TRUE(v.refused);
  EXPECT_TRUE(v.text.empty());
}

TEST(SendFilterTest, ABadEntryNamesItsLine) {
  for (const auto& [list, why] : std::vector<std::pair<std::string, std::string>>{
           {"mask ok\nblock word\n", "test.list line 2: an entry starts with refuse or mask"},
           {"refuse\n", "test.list line 1: a word or a /pattern/ must follow the action"},
           {"mask two words\n", "test.list line 1: a word is letters, digits and '_' only"},
           {"\n\nrefuse /(unclosed/\n", "test.list line 3: a bad pattern"}}) {
    auto filter = SendFilter::Parse(list, "test.list");
    ASSERT_FALSE(filter.ok()) << list;
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(filter.status().message().find(why), std::string::npos) << filter.status();
  }
  auto missing = SendFilter::Load("/nonexistent/filter.list");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read the filter"), std::string::npos);
}

TEST(SendFilterTest, AHolderServesTheFilterSetLast) {
  SendFilterHolder holder;
  EXPECT_EQ(holder.current(), nullptr);
  auto first = Filter("mask one\n");
  holder.Set(first);
  auto kept = holder.current();  // a send in flight keeps its filter
  holder.Set(Filter("mask two\n"));
  EXPECT_EQ(kept, first);
  EXPECT_TRUE(holder.current()->Apply("two").masked);
  EXPECT_FALSE(holder.current()->Apply("one").masked);
}

}  // namespace
}  // namespace im::logic
