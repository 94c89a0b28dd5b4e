#include "mef/credential/revocation_feed.h"

#include "common/crypto/key_id.h"
#include "gtest/gtest.h"
#include "mef/credential/testing/fake_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;

TEST(CursorTest, RoundTripsAndIsStrict) {
  EXPECT_EQ(*ParseCursor(FormatCursor(0)), 0);
  EXPECT_EQ(*ParseCursor(FormatCursor(9876543210)), 9876543210);
  for (const char* bad :
       {"", "s", "42", "s-1", "s+1", "s 1", "s1x", "S1", "s99999999999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseCursor(bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

class MapStateChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [kpm, maf] :
         {std::pair{"a", "maf-a.example.com"}, std::pair{"b", "maf-b.example.com"}}) {
      Enrolee e;
      e.kpm_id = kpm;
      e.kpm = SealedKey{"x", 1};
      e.enrolee_id = std::string("C") + kpm;
      e.maf_id = maf;
      ASSERT_TRUE(store_.CreateEnrolee(e).ok());
    }
  }
  testing::FakeEnroleeStore store_;
  EnroleeDirectory dir_{&store_};
  const std::vector<std::string> a_ = {"maf-a.example.com"};
};

TEST_F(MapStateChangeTest, RoutesOnlyToTheEnroleesMaf) {
  StateChange c{7, StateChange::Kind::kEnroleeState, "a", crypto::KeyId(), EnroleeState::kDisabled};
  auto ev = MapStateChange(c, a_, &dir_);
  ASSERT_TRUE(ev.ok());
  ASSERT_TRUE(ev->has_value());
  EXPECT_EQ((*ev)->kind(), v1::RevocationEvent::KIND_ENROLEE_DISABLED);
  EXPECT_EQ((*ev)->enrolee_id(), "Ca");
  EXPECT_EQ((*ev)->cursor(), "s7");
  c.kpm_id = "b";
  EXPECT_FALSE(MapStateChange(c, a_, &dir_)->has_value());
}

TEST_F(MapStateChangeTest, ReEnableIsNoEvent) {
  StateChange c{1, StateChange::Kind::kEnroleeState, "a", crypto::KeyId(), EnroleeState::kActive};
  EXPECT_FALSE(MapStateChange(c, a_, &dir_)->has_value());
}

TEST_F(MapStateChangeTest, DeletedEnroleeStillRoutedWhenRemembered) {
  ASSERT_TRUE(dir_.Lookup("a").ok());  // seen before the delete (e.g. by a fetch)
  ASSERT_TRUE(store_.DeleteEnrolee("a").ok());
  StateChange c{3, StateChange::Kind::kEnroleeDeleted, "a"};
  auto ev = MapStateChange(c, a_, &dir_);
  ASSERT_TRUE(ev->has_value());
  EXPECT_EQ((*ev)->kind(), v1::RevocationEvent::KIND_ENROLEE_DELETED);
  EXPECT_EQ((*ev)->enrolee_id(), "Ca");
  EXPECT_FALSE(MapStateChange(c, {"maf-b.example.com"}, &dir_)->has_value());
}

TEST_F(MapStateChangeTest, UnresolvableEnrolmentRevocationFailsSafe) {
  ASSERT_TRUE(store_.DeleteEnrolee("b").ok());  // never looked up: cannot know its MAF
  StateChange c{4, StateChange::Kind::kEnrolmentRevoked, "b",
                *crypto::KeyId::Parse("4B4B4B4B4B4B4B4B4B4B4B4B4B4B4B4B@mef.example.com")};
  auto ev = MapStateChange(c, a_, &dir_);
  ASSERT_TRUE(ev->has_value());
  EXPECT_EQ((*ev)->kind(), v1::RevocationEvent::KIND_ENROLMENTS_INVALIDATED);
  EXPECT_TRUE((*ev)->enrolee_id().empty());
  StateChange d{5, StateChange::Kind::kEnroleeDeleted, "b"};
  EXPECT_FALSE(MapStateChange(d, a_, &dir_)->has_value());
}

TEST_F(MapStateChangeTest, StoreDownIsUnavailable) {
  store_.set_down(true);
  StateChange c{1, StateChange::Kind::kEnroleeState, "a", crypto::KeyId(), EnroleeState::kRevoked};
  EXPECT_EQ(MapStateChange(c, a_, &dir_).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mef
}  // namespace onem2m
