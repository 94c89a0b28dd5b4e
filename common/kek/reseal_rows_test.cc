#include "common/kek/reseal_rows.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace onem2m {
namespace kek {
namespace {

TEST(ResealRowsTest, CountsRacedRowsAndStopsAtTheFirstError) {
  std::map<std::string, std::string> table = {{"a", "old-a"}, {"b", "changed"}, {"c", "old-c"}};
  std::vector<PendingRow<int, std::string>> rows = {{0, "a", "old-a"}, {0, "b", "old-b"}};
  auto reseal = [](int, const std::string& id,
                   const std::string& old) -> absl::StatusOr<std::string> {
    if (id == "c") return absl::DataLossError("cannot open");
    return "new:" + old;
  };
  auto update = [&table](const PendingRow<int, std::string>& row,
                         std::string fresh) -> absl::StatusOr<bool> {
    if (table[row.id] != row.old) return false;
    table[row.id] = std::move(fresh);
    return true;
  };
  absl::StatusOr<RewrapCounts> n = ResealRows(rows, reseal, update);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->rewrapped, 1);
  EXPECT_EQ(n->raced, 1);
  EXPECT_EQ(table["a"], "new:old-a");
  EXPECT_EQ(table["b"], "changed");

  rows = {{0, "c", "old-c"}};
  EXPECT_EQ(ResealRows(rows, reseal, update).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(table["c"], "old-c");
}

}  // namespace
}  // namespace kek
}  // namespace onem2m
