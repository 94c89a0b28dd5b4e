#include "services/common/flag_list.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SplitListTest, SplitsAtCommasAndDropsEmptyItems) {
  EXPECT_THAT(SplitList("a:1,b:2"), ElementsAre("a:1", "b:2"));
  EXPECT_THAT(SplitList("a:1,,b:2, ,"), ElementsAre("a:1", "b:2"));
}

TEST(SplitListTest, EmptyValueIsAnEmptyList) {
  EXPECT_THAT(SplitList(""), IsEmpty());
  EXPECT_THAT(SplitList(" , "), IsEmpty());
}

TEST(SplitListTest, KeepsSpacesInsideItems) {
  // Items are not trimmed: a listener flag "a:1, b:2" names the address " b:2", which the
  // address check refuses rather than silently repairs.
  EXPECT_THAT(SplitList("a:1, b:2"), ElementsAre("a:1", " b:2"));
}

}  // namespace
}  // namespace onem2m::services
