#include "common/handoff_table.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace {

TEST(HandoffTableTest, TakeReturnsAValueOnce) {
  HandoffTable<std::string> t(4);
  t.Put("a", "row-a");
  EXPECT_EQ(t.Take("b"), std::nullopt);
  EXPECT_EQ(t.Take("a"), "row-a");
  EXPECT_EQ(t.Take("a"), std::nullopt);
}

TEST(HandoffTableTest, OldestGoFirstAndStaleKeysDoNotPileUp) {
  HandoffTable<int> t(3);
  for (int i = 0; i < 5; ++i) t.Put(absl::StrCat("k", i), i);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Take("k0"), std::nullopt);
  EXPECT_EQ(t.Take("k1"), std::nullopt);
  EXPECT_EQ(t.Take("k4"), 4);
  // Put and take many more than the capacity: the table stays within it.
  for (int i = 0; i < 10000; ++i) {
    t.Put(absl::StrCat("x", i), i);
    if (i % 2 == 0) EXPECT_EQ(t.Take(absl::StrCat("x", i)), i);
  }
  EXPECT_LE(t.size(), 3u);
  EXPECT_EQ(t.Take("x9999"), 9999);
}

TEST(HandoffTableTest, PutAgainReplacesTheValue) {
  HandoffTable<int> t(2);
  t.Put("a", 1);
  t.Put("a", 2);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Take("a"), 2);
}

}  // namespace
}  // namespace onem2m
