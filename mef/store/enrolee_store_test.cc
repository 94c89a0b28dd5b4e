// The EnroleeStore suite's enrolee cases (provisioning, reads, lists, state, deletion, Kpm
// rotation, fetch grants), against MemoryEnroleeStore always and PgEnroleeStore when ONEM2M_TEST_PG
// is set (enrolee_store_test_fixture.h).
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mef/store/enrolee_store_test_fixture.h"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

TEST_P(EnroleeStoreTest, CreateThenGetReturnsAllFields) {
  Enrolee e = MakeEnrolee("dev-1");
  e.maf_uri = "https://maf.example.com:8443";
  e.not_after = absl::FromUnixMicros(1900000000123456);
  e.state = EnroleeState::kDisabled;
  absl::StatusOr<Enrolee> created = store_->CreateEnrolee(e);
  ASSERT_THAT(created, IsOk());
  EXPECT_GT(created->revision, 0);
  EXPECT_GT(created->created_at, absl::Now() - absl::Minutes(5));
  absl::StatusOr<Enrolee> got = store_->GetEnrolee("dev-1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->kpm_id, "dev-1");
  EXPECT_EQ(got->kpm.ciphertext, e.kpm.ciphertext);  // binary-safe, embedded NUL
  EXPECT_EQ(got->kpm.kek_version, 1);
  EXPECT_EQ(got->enrolee_id, "Cdev-1");
  EXPECT_EQ(got->maf_id, "maf.example.com");
  EXPECT_EQ(got->maf_uri, e.maf_uri);
  EXPECT_EQ(got->enrolment_lifetime, absl::Hours(24));
  EXPECT_EQ(got->not_after, e.not_after);
  EXPECT_EQ(got->state, EnroleeState::kDisabled);
  EXPECT_EQ(got->revision, created->revision);
  EXPECT_EQ(got->created_at, created->created_at);

  Enrolee minimal = MakeEnrolee("dev-2");
  minimal.enrolment_lifetime.reset();
  ASSERT_THAT(store_->CreateEnrolee(minimal), IsOk());
  got = store_->GetEnrolee("dev-2");
  ASSERT_THAT(got, IsOk());
  EXPECT_FALSE(got->maf_uri.has_value());
  EXPECT_FALSE(got->enrolment_lifetime.has_value());
  EXPECT_FALSE(got->not_after.has_value());
  EXPECT_GT(got->revision, created->revision);
}

TEST_P(EnroleeStoreTest, UnicodeKpmIdOf128BytesWorks) {
  std::string id;
  while (id.size() + 3 <= 128) id += "\xe2\x82\xac";  // U+20AC, 3 bytes
  id += "ab";
  ASSERT_EQ(id.size(), 128u);
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee(id)), IsOk());
  EXPECT_THAT(store_->GetEnrolee(id), IsOk());
}

TEST_P(EnroleeStoreTest, DuplicateKpmIdIsAlreadyExists) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("dup")), IsOk());
  absl::StatusOr<Enrolee> again = store_->CreateEnrolee(MakeEnrolee("dup"));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists)) << again.status();
}

TEST_P(EnroleeStoreTest, InvalidEnroleesAreRejected) {
  Enrolee e = MakeEnrolee("");
  EXPECT_THAT(store_->CreateEnrolee(e), StatusIs(absl::StatusCode::kInvalidArgument));
  e = MakeEnrolee(std::string(129, 'a'));
  EXPECT_THAT(store_->CreateEnrolee(e), StatusIs(absl::StatusCode::kInvalidArgument));
  e = MakeEnrolee("bad\xc3\x28utf8");
  EXPECT_THAT(store_->CreateEnrolee(e), StatusIs(absl::StatusCode::kInvalidArgument));
  e = MakeEnrolee(std::string("nul\0x", 5));
  EXPECT_THAT(store_->CreateEnrolee(e), StatusIs(absl::StatusCode::kInvalidArgument));
  e = MakeEnrolee("ok");
  e.kpm.ciphertext.clear();
  EXPECT_THAT(store_->CreateEnrolee(e), StatusIs(absl::StatusCode::kInvalidArgument));
  e = MakeEnrolee("ok");
  e.enrolment_lifetime = absl::ZeroDuration();
  EXPECT_THAT(store_->CreateEnrolee(e), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(EnroleeStoreTest, MissingEnroleeIsNotFound) {
  EXPECT_THAT(store_->GetEnrolee("nobody"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->SetState("nobody", EnroleeState::kDisabled),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteEnrolee("nobody"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RotateKpm("nobody", SealedKey{"x", 1}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetEnrolmentByKeId(TestKeId("nope")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RevokeEnrolment(TestKeId("nope")), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(EnroleeStoreTest, BulkCreateReportsEachRow) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("b-existing")), IsOk());
  std::vector<Enrolee> rows = {MakeEnrolee("b-1"), MakeEnrolee("b-existing"), MakeEnrolee("b-2"),
                               MakeEnrolee("b-1"), MakeEnrolee("")};
  absl::StatusOr<std::vector<absl::Status>> r = store_->BulkCreate(rows);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_THAT((*r)[0], IsOk());
  EXPECT_THAT((*r)[1], StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT((*r)[2], IsOk());
  EXPECT_THAT((*r)[3], StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT((*r)[4], StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->GetEnrolee("b-2"), IsOk());
}

TEST_P(EnroleeStoreTest, BulkCreateManyRows) {
  constexpr int kRows = 5000;
  std::vector<Enrolee> rows;
  for (int i = 0; i < kRows; ++i) rows.push_back(MakeEnrolee(absl::StrCat("bulk-", 100000 + i)));
  absl::Time start = absl::Now();
  auto r = store_->BulkCreate(rows);
  ASSERT_THAT(r, IsOk());
  for (const auto& s : *r) ASSERT_THAT(s, IsOk());
  std::cerr << GetParam() << ": bulk-created " << kRows << " enrolees in "
            << absl::FormatDuration(absl::Now() - start) << "\n";
  int total = 0;
  ListEnroleesRequest req;
  req.page_size = 1000;
  for (;;) {
    auto page = store_->ListEnrolees(req);
    ASSERT_THAT(page, IsOk());
    total += page->enrolees.size();
    if (page->next_page_token.empty()) break;
    req.page_token = page->next_page_token;
  }
  EXPECT_EQ(total, kRows);
}

TEST_P(EnroleeStoreTest, ListEnroleesPaginatesAndFilters) {
  for (int i = 0; i < 25; ++i) {
    Enrolee e = MakeEnrolee(absl::StrCat("p-", 10 + i));
    if (i % 5 == 0) e.state = EnroleeState::kDisabled;
    ASSERT_THAT(store_->CreateEnrolee(e), IsOk());
  }
  ListEnroleesRequest req;
  req.page_size = 10;
  std::vector<std::string> seen;
  int pages = 0;
  for (;;) {
    auto page = store_->ListEnrolees(req);
    ASSERT_THAT(page, IsOk());
    ++pages;
    for (const auto& e : page->enrolees) seen.push_back(e.kpm_id);
    if (page->next_page_token.empty()) break;
    req.page_token = page->next_page_token;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  ListEnroleesRequest disabled;
  disabled.state = EnroleeState::kDisabled;
  disabled.page_size = 3;
  auto page = store_->ListEnrolees(disabled);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->enrolees.size(), 3u);
  EXPECT_EQ(page->enrolees[0].kpm_id, "p-10");
  EXPECT_FALSE(page->next_page_token.empty());
  disabled.page_token = page->next_page_token;
  page = store_->ListEnrolees(disabled);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->enrolees.size(), 2u);
  EXPECT_TRUE(page->next_page_token.empty());

  ListEnroleesRequest bad;
  bad.page_token = "zz-not-a-token";
  EXPECT_THAT(store_->ListEnrolees(bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(EnroleeStoreTest, DeleteRemovesEnrolmentsAndLeavesFeedEntries) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("d-1")), IsOk());
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("d-2")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("d-1", "KD1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("d-2", "KD2")), IsOk());
  int64_t start = *store_->LatestChangeSeq();
  ASSERT_THAT(store_->DeleteEnrolee("d-1"), IsOk());
  EXPECT_THAT(store_->GetEnrolee("d-1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetEnrolmentByKeId(TestKeId("KD1")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetEnrolmentByKeId(TestKeId("KD2")), IsOk());
  auto feed = store_->ListStateChangesSince(start, 10);
  ASSERT_THAT(feed, IsOk());
  ASSERT_EQ(feed->size(), 2u);
  EXPECT_EQ((*feed)[0].kind, StateChange::Kind::kEnrolmentRevoked);
  EXPECT_EQ((*feed)[0].ke_id, TestKeId("KD1"));
  EXPECT_EQ((*feed)[1].kind, StateChange::Kind::kEnroleeDeleted);
  EXPECT_THAT(store_->DeleteEnrolee("d-1"), StatusIs(absl::StatusCode::kNotFound));
  // The kpm_id may be provisioned again.
  EXPECT_THAT(store_->CreateEnrolee(MakeEnrolee("d-1")), IsOk());
}

TEST_P(EnroleeStoreTest, RotateKpmReplacesSealedKey) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("r-1")), IsOk());
  int64_t before = store_->GetEnrolee("r-1")->revision;
  auto rotated = store_->RotateKpm("r-1", SealedKey{std::string("\x01\x00new", 5), 7});
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->kpm.ciphertext, std::string("\x01\x00new", 5));
  EXPECT_EQ(rotated->kpm.kek_version, 7);
  EXPECT_GT(rotated->revision, before);
  EXPECT_EQ(store_->GetEnrolee("r-1")->kpm.kek_version, 7);
  EXPECT_THAT(store_->RotateKpm("r-1", SealedKey{"", 8}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(EnroleeStoreTest, FetchGrantsAreStoredWithTheEnroleeAndReachTheFetchView) {
  Enrolee e = MakeEnrolee("dev-g");
  e.fetch_grants = {{"cse.example.com", 42}, {"ae.example.com", 7}, {"cse.example.com", 42}};
  ASSERT_THAT(store_->CreateEnrolee(e), IsOk());
  // The PSK lookup's read does not carry them; GetFetchGrants does, sorted and deduplicated.
  absl::StatusOr<Enrolee> got = store_->GetEnrolee("dev-g");
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->fetch_grants.empty());
  const std::vector<FetchGrant> want = {{"ae.example.com", 7}, {"cse.example.com", 42}};
  absl::StatusOr<std::vector<FetchGrant>> grants = store_->GetFetchGrants("dev-g");
  ASSERT_THAT(grants, IsOk());
  EXPECT_EQ(*grants, want);

  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("dev-g", "AA")), IsOk());
  absl::StatusOr<EnrolmentView> view = store_->GetEnrolmentByKeId(TestKeId("AA"));
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(SortedUnique(view->fetch_grants), want);
  std::vector<absl::StatusOr<EnrolmentView>> views = store_->GetEnrolmentsByKeIds({TestKeId("AA")});
  ASSERT_THAT(views[0], IsOk());
  EXPECT_EQ(SortedUnique(views[0]->fetch_grants), want);

  // Replaced as a whole; an empty list clears it.
  ASSERT_THAT(store_->SetFetchGrants("dev-g", {{"other.example.com", 99}}), IsOk());
  view = store_->GetEnrolmentByKeId(TestKeId("AA"));
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->fetch_grants, (std::vector<FetchGrant>{{"other.example.com", 99}}));
  ASSERT_THAT(store_->SetFetchGrants("dev-g", {}), IsOk());
  view = store_->GetEnrolmentByKeId(TestKeId("AA"));
  ASSERT_THAT(view, IsOk());
  EXPECT_TRUE(view->fetch_grants.empty());
  EXPECT_TRUE(store_->GetFetchGrants("dev-g")->empty());
}

TEST_P(EnroleeStoreTest, FetchGrantsAreValidatedAndNeedAnEnrolee) {
  EXPECT_THAT(store_->SetFetchGrants("nobody", {{"cse.example.com", 42}}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetFetchGrants("nobody"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("dev-v")), IsOk());
  EXPECT_THAT(store_->SetFetchGrants("dev-v", {{"cse.example.com", 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SetFetchGrants("dev-v", {{"a b.example.com", 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SetFetchGrants("dev-v", {{"", 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Enrolee bad = MakeEnrolee("dev-w");
  bad.fetch_grants = {{"x\ny.example.com", 1}};
  EXPECT_THAT(store_->CreateEnrolee(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  // Large SUIDs survive the round trip.
  ASSERT_THAT(store_->SetFetchGrants("dev-v", {{"cse.example.com", 4294967295u}}), IsOk());
  EXPECT_EQ(store_->GetFetchGrants("dev-v")->at(0).suid, 4294967295u);
}

TEST_P(EnroleeStoreTest, BulkCreateStoresGrantsAndDeleteDropsThem) {
  Enrolee a = MakeEnrolee("dev-b1");
  a.fetch_grants = {{"cse.example.com", 42}};
  Enrolee b = MakeEnrolee("dev-b2");
  absl::StatusOr<std::vector<absl::Status>> r = store_->BulkCreate({a, b});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(store_->GetFetchGrants("dev-b1")->size(), 1u);
  EXPECT_TRUE(store_->GetFetchGrants("dev-b2")->empty());
  ASSERT_THAT(store_->DeleteEnrolee("dev-b1"), IsOk());
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("dev-b1")), IsOk());
  EXPECT_TRUE(store_->GetFetchGrants("dev-b1")->empty());
}

TEST_P(EnroleeStoreTest, HealthIsOk) { EXPECT_THAT(store_->CheckHealth(), IsOk()); }

INSTANTIATE_ENROLEE_STORE_TEST();

}  // namespace
}  // namespace mef
}  // namespace onem2m
