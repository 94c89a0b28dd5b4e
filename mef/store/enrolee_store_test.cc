// One behavioural suite for every EnroleeStore: MemoryEnroleeStore always, PgEnroleeStore against a
// real PostgreSQL when ONEM2M_TEST_PG is set (each test in its own schema, so tests may run in
// parallel). PostgreSQL-only behaviour (connection loss, durability under concurrency at scale)
// follows at the end.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/pg/status.h"
#include "common/pg/test_schema.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"
#include "pqxx/nontransaction"
#include "pqxx/pqxx"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

Enrolee MakeEnrolee(const std::string& kpm_id) {
  Enrolee e;
  e.kpm_id = kpm_id;
  e.kpm = SealedKey{std::string("\x00\x01sealed\xff", 9) + kpm_id, 1};
  e.enrolee_id = "C" + kpm_id;
  e.maf_id = "maf.example.com";
  e.enrolment_lifetime = absl::Hours(24);
  return e;
}

Enrolment MakeEnrolment(const std::string& kpm_id, const std::string& ke_id) {
  Enrolment e;
  e.ke_id = ke_id;
  e.kpm_id = kpm_id;
  e.ke = SealedKey{std::string("\x00ke-blob\xfe", 9) + ke_id, 2};
  e.enrolee_id = "C" + kpm_id;
  e.maf_id = "maf.example.com";
  e.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now() + absl::Hours(24)));
  e.transport = Transport::kDtls;
  e.peer_address = "192.0.2.1:5684";
  return e;
}

class EnroleeStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryEnroleeStore>();
      return;
    }
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
    PgEnroleeStoreOptions o;
    o.pool = schema_->PoolOptionsFor();
    o.pool.application_name = "mef-" + schema_->name();
    o.pool.max_size = 4;
    auto store = PgEnroleeStore::Create(o);
    ASSERT_THAT(store, IsOk());
    pg_store_ = store->get();
    store_ = *std::move(store);
  }

  bool IsPg() const { return GetParam() == "pg"; }

  std::unique_ptr<pg::TestSchema> schema_;  // declared first: dropped after the store closes
  std::unique_ptr<EnroleeStore> store_;
  PgEnroleeStore* pg_store_ = nullptr;
};

TEST_P(EnroleeStoreTest, KekCountsAndRewrapBatchesWithOptimisticCheck) {
  for (const char* id : {"k-1", "k-2", "k-3"})
    ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee(id)), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("k-1", "KE-1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("k-2", "KE-2")), IsOk());
  absl::StatusOr<std::vector<KekVersionCount>> counts = store_->CountKekVersions();
  ASSERT_THAT(counts, IsOk());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].column, SealedColumn::kEnroleeKpm);
  EXPECT_EQ((*counts)[0].kek_version, 1);
  EXPECT_EQ((*counts)[0].rows, 3);
  EXPECT_EQ((*counts)[1].column, SealedColumn::kEnrolmentKe);
  EXPECT_EQ((*counts)[1].kek_version, 2);
  EXPECT_EQ((*counts)[1].rows, 2);

  // The resealer sees the row's id (the blob's associated data) and its current blob.
  std::vector<std::string> seen;
  Resealer reseal = [&](SealedColumn column, absl::string_view id,
                        const SealedKey& old) -> absl::StatusOr<SealedKey> {
    seen.push_back(absl::StrCat(SealedColumnName(column), ":", id));
    return SealedKey{old.ciphertext + "@v3", 3};
  };
  absl::StatusOr<RewrapResult> r = store_->RewrapBatch(3, 2, reseal);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rewrapped, 2);
  EXPECT_EQ(r->raced, 0);
  EXPECT_EQ(r->left, 3);

  // A concurrent RotateKpm between the read and the update wins: that row is skipped, not
  // overwritten with a re-seal of the old Kpm.
  Resealer racing = [&](SealedColumn column, absl::string_view id,
                        const SealedKey& old) -> absl::StatusOr<SealedKey> {
    if (column == SealedColumn::kEnroleeKpm) {
      absl::StatusOr<Enrolee> rotated =
          store_->RotateKpm(id, SealedKey{"new-kpm-" + std::string(id), 1});
      if (!rotated.ok()) return rotated.status();
    }
    return reseal(column, id, old);
  };
  r = store_->RewrapBatch(3, 1, racing);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rewrapped, 0);
  EXPECT_EQ(r->raced, 1);
  EXPECT_EQ(r->left, 3);
  absl::StatusOr<Enrolee> k3 = store_->GetEnrolee("k-3");
  ASSERT_THAT(k3, IsOk());
  EXPECT_EQ(k3->kpm.ciphertext, "new-kpm-k-3");

  // Resumable: run again until nothing is left; a further run is a no-op.
  for (int i = 0; i < 10 && r->left > 0; ++i) {
    r = store_->RewrapBatch(3, 2, reseal);
    ASSERT_THAT(r, IsOk());
  }
  EXPECT_EQ(r->left, 0);
  r = store_->RewrapBatch(3, 2, reseal);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->rewrapped, 0);
  EXPECT_EQ(r->left, 0);
  counts = store_->CountKekVersions();
  ASSERT_THAT(counts, IsOk());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].kek_version, 3);
  EXPECT_EQ((*counts)[0].rows, 3);
  EXPECT_EQ((*counts)[1].kek_version, 3);
  EXPECT_EQ((*counts)[1].rows, 2);
  absl::StatusOr<EnrolmentView> ke = store_->GetEnrolmentByKeId("KE-2");
  ASSERT_THAT(ke, IsOk());
  EXPECT_EQ(ke->enrolment.ke.ciphertext, std::string("\x00ke-blob\xfe", 9) + "KE-2@v3");
  EXPECT_EQ(ke->enrolment.ke.kek_version, 3);
  // A failing resealer stops the batch with its error.
  absl::StatusOr<RewrapResult> bad = store_->RewrapBatch(
      4, 5, [](SealedColumn, absl::string_view, const SealedKey&) -> absl::StatusOr<SealedKey> {
        return absl::NotFoundError("KEK version not in keyring");
      });
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kNotFound));
}

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
  EXPECT_THAT(store_->GetEnrolmentByKeId("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RevokeEnrolment("nope"), StatusIs(absl::StatusCode::kNotFound));
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

TEST_P(EnroleeStoreTest, StateChangesAndRevocationFeed) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("s-1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("s-1", "KE2@mef")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("s-1", "KE1@mef")), IsOk());
  absl::StatusOr<int64_t> start = store_->LatestChangeSeq();
  ASSERT_THAT(start, IsOk());
  const int64_t before = store_->GetEnrolee("s-1")->revision;

  auto disabled = store_->SetState("s-1", EnroleeState::kDisabled);
  ASSERT_THAT(disabled, IsOk());
  EXPECT_EQ(disabled->state, EnroleeState::kDisabled);
  EXPECT_GT(disabled->revision, before);
  // Same state: no-op, no feed entry.
  auto again = store_->SetState("s-1", EnroleeState::kDisabled);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->revision, disabled->revision);
  ASSERT_THAT(store_->SetState("s-1", EnroleeState::kActive), IsOk());
  auto revoked = store_->SetState("s-1", EnroleeState::kRevoked);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_THAT(store_->SetState("s-1", EnroleeState::kActive),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->RotateKpm("s-1", SealedKey{"new", 2}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->SetState("s-1", EnroleeState::kRevoked), IsOk());

  auto view = store_->GetEnrolmentByKeId("KE1@mef");
  ASSERT_THAT(view, IsOk());
  EXPECT_TRUE(view->enrolment.revoked);
  EXPECT_EQ(view->enrolee_state, EnroleeState::kRevoked);

  auto feed = store_->ListStateChangesSince(*start, 100);
  ASSERT_THAT(feed, IsOk());
  ASSERT_EQ(feed->size(), 5u);
  EXPECT_EQ((*feed)[0].kind, StateChange::Kind::kEnroleeState);
  EXPECT_EQ((*feed)[0].state, EnroleeState::kDisabled);
  EXPECT_EQ((*feed)[1].state, EnroleeState::kActive);
  EXPECT_EQ((*feed)[2].state, EnroleeState::kRevoked);
  EXPECT_EQ((*feed)[3].kind, StateChange::Kind::kEnrolmentRevoked);
  EXPECT_EQ((*feed)[3].ke_id, "KE1@mef");
  EXPECT_EQ((*feed)[4].ke_id, "KE2@mef");
  for (size_t i = 1; i < feed->size(); ++i) EXPECT_GT((*feed)[i].seq, (*feed)[i - 1].seq);
  EXPECT_EQ((*feed)[0].kpm_id, "s-1");
  EXPECT_EQ(*store_->LatestChangeSeq(), feed->back().seq);

  auto limited = store_->ListStateChangesSince((*feed)[1].seq, 2);
  ASSERT_THAT(limited, IsOk());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[0].seq, (*feed)[2].seq);
}

TEST_P(EnroleeStoreTest, GetEnrolmentsByKeIdsAnswersEachPlaceInOrder) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("b-1")), IsOk());
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("b-2")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("b-1", "KB1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("b-2", "KB2")), IsOk());
  ASSERT_THAT(store_->SetState("b-2", EnroleeState::kDisabled), IsOk());

  // A repeated key is answered at each of its places; a missing one is kNotFound in its place.
  const std::vector<std::string> keys = {"KB2", "nope", "KB1", "KB2"};
  std::vector<absl::StatusOr<EnrolmentView>> got = store_->GetEnrolmentsByKeIds(keys);
  ASSERT_EQ(got.size(), keys.size());
  ASSERT_THAT(got[0], IsOk());
  EXPECT_EQ(got[0]->enrolment.ke_id, "KB2");
  EXPECT_EQ(got[0]->enrolment.kpm_id, "b-2");
  EXPECT_EQ(got[0]->enrolee_state, EnroleeState::kDisabled);
  EXPECT_THAT(got[1], StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(got[2], IsOk());
  EXPECT_EQ(got[2]->enrolment.kpm_id, "b-1");
  EXPECT_EQ(got[2]->enrolee_state, EnroleeState::kActive);
  ASSERT_THAT(got[3], IsOk());
  EXPECT_EQ(got[3]->enrolment.ke_id, "KB2");
  EXPECT_TRUE(store_->GetEnrolmentsByKeIds({}).empty());
}

TEST_P(EnroleeStoreTest, DeleteRemovesEnrolmentsAndLeavesFeedEntries) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("d-1")), IsOk());
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("d-2")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("d-1", "KD1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("d-2", "KD2")), IsOk());
  int64_t start = *store_->LatestChangeSeq();
  ASSERT_THAT(store_->DeleteEnrolee("d-1"), IsOk());
  EXPECT_THAT(store_->GetEnrolee("d-1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetEnrolmentByKeId("KD1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetEnrolmentByKeId("KD2"), IsOk());
  auto feed = store_->ListStateChangesSince(start, 10);
  ASSERT_THAT(feed, IsOk());
  ASSERT_EQ(feed->size(), 2u);
  EXPECT_EQ((*feed)[0].kind, StateChange::Kind::kEnrolmentRevoked);
  EXPECT_EQ((*feed)[0].ke_id, "KD1");
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

TEST_P(EnroleeStoreTest, RecordEnrolmentAndFetchIt) {
  Enrolee en = MakeEnrolee("e-1");
  en.not_after = absl::FromUnixMicros(2000000000000000);
  ASSERT_THAT(store_->CreateEnrolee(en), IsOk());
  Enrolment e = MakeEnrolment("e-1", "0011AABB@mef.example.com");
  ASSERT_THAT(store_->RecordEnrolment(e), IsOk());
  auto view = store_->GetEnrolmentByKeId("0011AABB@mef.example.com");
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->enrolment.kpm_id, "e-1");
  EXPECT_EQ(view->enrolment.ke.ciphertext, e.ke.ciphertext);
  EXPECT_EQ(view->enrolment.ke.kek_version, 2);
  EXPECT_EQ(view->enrolment.enrolee_id, "Ce-1");
  EXPECT_EQ(view->enrolment.maf_id, "maf.example.com");
  EXPECT_EQ(view->enrolment.expires_at, e.expires_at);
  EXPECT_EQ(view->enrolment.transport, Transport::kDtls);
  EXPECT_EQ(view->enrolment.peer_address, "192.0.2.1:5684");
  EXPECT_FALSE(view->enrolment.revoked);
  EXPECT_GT(view->enrolment.created_at, absl::Now() - absl::Minutes(5));
  EXPECT_EQ(view->enrolee_state, EnroleeState::kActive);
  EXPECT_EQ(view->enrolee_not_after, en.not_after);

  // The view follows the enrolee's current state.
  ASSERT_THAT(store_->SetState("e-1", EnroleeState::kDisabled), IsOk());
  EXPECT_EQ(store_->GetEnrolmentByKeId("0011AABB@mef.example.com")->enrolee_state,
            EnroleeState::kDisabled);

  EXPECT_THAT(store_->RecordEnrolment(e), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->RecordEnrolment(MakeEnrolment("no-such", "K9")),
              StatusIs(absl::StatusCode::kNotFound));
  Enrolment bad = MakeEnrolment("e-1", "");
  EXPECT_THAT(store_->RecordEnrolment(bad), StatusIs(absl::StatusCode::kInvalidArgument));

  absl::Notification done;
  absl::Status async_status = absl::UnknownError("not called");
  store_->RecordEnrolmentAsync(MakeEnrolment("e-1", "K-async"), [&](absl::Status s) {
    async_status = s;
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_THAT(async_status, IsOk());
  EXPECT_THAT(store_->GetEnrolmentByKeId("K-async"), IsOk());
}

TEST_P(EnroleeStoreTest, ListEnrolmentsPaginatesAndFilters) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("l-1")), IsOk());
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("l-2")), IsOk());
  for (int i = 0; i < 7; ++i) {
    ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("l-1", absl::StrCat("A", i))), IsOk());
    ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("l-2", absl::StrCat("B", i))), IsOk());
  }
  ListEnrolmentsRequest req;
  req.kpm_id = "l-2";
  req.page_size = 3;
  std::vector<std::string> seen;
  for (;;) {
    auto page = store_->ListEnrolments(req);
    ASSERT_THAT(page, IsOk());
    for (const auto& e : page->enrolments) {
      EXPECT_EQ(e.kpm_id, "l-2");
      seen.push_back(e.ke_id);
    }
    if (page->next_page_token.empty()) break;
    req.page_token = page->next_page_token;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"B0", "B1", "B2", "B3", "B4", "B5", "B6"}));
  ListEnrolmentsRequest all;
  all.page_size = 1000;
  EXPECT_EQ(store_->ListEnrolments(all)->enrolments.size(), 14u);
}

TEST_P(EnroleeStoreTest, RevokeEnrolmentIsIdempotent) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("v-1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("v-1", "KV")), IsOk());
  int64_t start = *store_->LatestChangeSeq();
  ASSERT_THAT(store_->RevokeEnrolment("KV"), IsOk());
  ASSERT_THAT(store_->RevokeEnrolment("KV"), IsOk());
  EXPECT_TRUE(store_->GetEnrolmentByKeId("KV")->enrolment.revoked);
  EXPECT_EQ(store_->GetEnrolmentByKeId("KV")->enrolee_state, EnroleeState::kActive);
  auto feed = store_->ListStateChangesSince(start, 10);
  ASSERT_THAT(feed, IsOk());
  ASSERT_EQ(feed->size(), 1u);
  EXPECT_EQ((*feed)[0].ke_id, "KV");
  EXPECT_EQ((*feed)[0].kpm_id, "v-1");
}

// Many concurrent callers, sync and async, with a few bad rows mixed in: every good row is there
// afterwards, every caller got the right answer.
TEST_P(EnroleeStoreTest, ConcurrentRecordEnrolmentAllDurable) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("c-1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("c-1", "taken")), IsOk());
  std::atomic<int> ok{0}, exists{0}, notfound{0}, other{0};
  auto count = [&](const absl::Status& s) {
    if (s.ok()) {
      ++ok;
    } else if (s.code() == absl::StatusCode::kAlreadyExists) {
      ++exists;
    } else if (s.code() == absl::StatusCode::kNotFound) {
      ++notfound;
    } else {
      ++other;
      ADD_FAILURE() << s;
    }
  };
  absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string ke_id = absl::StrCat("K-", t, "-", i);
        if (i == 100) ke_id = "taken";
        Enrolment e = MakeEnrolment(i == 200 ? "missing-enrolee" : "c-1", ke_id);
        if (t % 2 == 0) {
          count(store_->RecordEnrolment(e));
        } else {
          absl::Notification n;
          store_->RecordEnrolmentAsync(e, [&](absl::Status s) {
            count(s);
            n.Notify();
          });
          n.WaitForNotification();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::cerr << GetParam() << ": " << kThreads * kPerThread << " enrolments by " << kThreads
            << " threads in " << absl::FormatDuration(absl::Now() - start) << "\n";
  EXPECT_EQ(ok, kThreads * (kPerThread - 2));
  EXPECT_EQ(exists, kThreads);
  EXPECT_EQ(notfound, kThreads);
  EXPECT_EQ(other, 0);
  ListEnrolmentsRequest req;
  req.kpm_id = "c-1";
  req.page_size = 1000;
  size_t total = 0;
  for (;;) {
    auto page = store_->ListEnrolments(req);
    ASSERT_THAT(page, IsOk());
    total += page->enrolments.size();
    if (page->next_page_token.empty()) break;
    req.page_token = page->next_page_token;
  }
  EXPECT_EQ(total, 1u + kThreads * (kPerThread - 2));
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

  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("dev-g", "AA@mef.example.com")), IsOk());
  absl::StatusOr<EnrolmentView> view = store_->GetEnrolmentByKeId("AA@mef.example.com");
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(SortedUnique(view->fetch_grants), want);
  std::vector<absl::StatusOr<EnrolmentView>> views =
      store_->GetEnrolmentsByKeIds({"AA@mef.example.com"});
  ASSERT_THAT(views[0], IsOk());
  EXPECT_EQ(SortedUnique(views[0]->fetch_grants), want);

  // Replaced as a whole; an empty list clears it.
  ASSERT_THAT(store_->SetFetchGrants("dev-g", {{"other.example.com", 99}}), IsOk());
  view = store_->GetEnrolmentByKeId("AA@mef.example.com");
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->fetch_grants, (std::vector<FetchGrant>{{"other.example.com", 99}}));
  ASSERT_THAT(store_->SetFetchGrants("dev-g", {}), IsOk());
  view = store_->GetEnrolmentByKeId("AA@mef.example.com");
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

INSTANTIATE_TEST_SUITE_P(Stores, EnroleeStoreTest, ::testing::Values("memory", "pg"),
                         [](const auto& info) { return info.param; });

// --- PostgreSQL only -------------------------------------------------------------------------

class PgEnroleeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
  }

  std::unique_ptr<PgEnroleeStore> NewStore() {
    PgEnroleeStoreOptions o;
    o.pool = schema_->PoolOptionsFor();
    o.pool.application_name = "mef-" + schema_->name();
    auto store = PgEnroleeStore::Create(o);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // KillBackends terminates every server connection the store under test holds.
  void KillBackends() {
    pqxx::connection c(pg::TestSchema::ConnInfo());
    pqxx::nontransaction n(c);
    const std::string app = n.quote("mef-" + schema_->name());
    n.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = " +
           app);
    EXPECT_TRUE(::onem2m::testing::WaitFor(
        [&] {
          return n.exec("SELECT 1 FROM pg_stat_activity WHERE application_name = " + app).empty();
        },
        absl::Seconds(10), absl::Milliseconds(20)))
        << "backends of " << app << " still there";
  }

  std::unique_ptr<pg::TestSchema> schema_;
};

TEST_F(PgEnroleeStoreTest, ConcurrentStartupsMigrateOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (NewStore() != nullptr) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 6);
}

TEST_F(PgEnroleeStoreTest, DeadDatabaseIsUnavailableQuickly) {
  PgEnroleeStoreOptions o;
  o.pool.conninfo = "host=127.0.0.1 port=1 user=mef dbname=mef password=s3cr3t-pw";
  o.pool.connect_timeout = absl::Seconds(2);
  absl::Time start = absl::Now();
  auto store = PgEnroleeStore::Create(o);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnavailable)) << store.status();
  EXPECT_FALSE(absl::StrContains(store.status().message(), "s3cr3t")) << store.status();
}

TEST_F(PgEnroleeStoreTest, RecoversAfterConnectionsAreKilled) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateEnrolee(MakeEnrolee("x-1")), IsOk());
  ASSERT_THAT(store->RecordEnrolment(MakeEnrolment("x-1", "KX0")), IsOk());

  // Reads retry once on a fresh connection.
  KillBackends();
  EXPECT_THAT(store->GetEnrolee("x-1"), IsOk());

  // Writes report kUnavailable once, then succeed.
  KillBackends();
  absl::StatusOr<Enrolee> w = store->CreateEnrolee(MakeEnrolee("x-2"));
  EXPECT_THAT(w, StatusIs(absl::StatusCode::kUnavailable)) << w.status();
  EXPECT_THAT(store->CreateEnrolee(MakeEnrolee("x-2")), IsOk());

  // The same for group-committed enrolments.
  KillBackends();
  absl::Status r = store->RecordEnrolment(MakeEnrolment("x-1", "KX1"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable)) << r;
  EXPECT_THAT(store->RecordEnrolment(MakeEnrolment("x-1", "KX1")), IsOk());
  EXPECT_THAT(store->CheckHealth(), IsOk());
}

TEST_F(PgEnroleeStoreTest, DataSurvivesANewStoreInstance) {
  {
    auto store = NewStore();
    ASSERT_THAT(store->CreateEnrolee(MakeEnrolee("p-1")), IsOk());
    ASSERT_THAT(store->RecordEnrolment(MakeEnrolment("p-1", "KP")), IsOk());
  }
  auto store = NewStore();
  EXPECT_THAT(store->GetEnrolee("p-1"), IsOk());
  EXPECT_THAT(store->GetEnrolmentByKeId("KP"), IsOk());
}

}  // namespace
}  // namespace mef
}  // namespace onem2m
