// The EnroleeStore suite's enrolment cases (recording, reads by KeID, lists, revocation, the change
// feed, KEK rewrap), against MemoryEnroleeStore always and PgEnroleeStore when ONEM2M_TEST_PG is
// set (enrolee_store_test_fixture.h).
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
  absl::StatusOr<EnrolmentView> ke = store_->GetEnrolmentByKeId(TestKeId("KE-2"));
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

TEST_P(EnroleeStoreTest, StateChangesAndRevocationFeed) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("s-1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("s-1", "KE2")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("s-1", "KE1")), IsOk());
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

  auto view = store_->GetEnrolmentByKeId(TestKeId("KE1"));
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
  EXPECT_EQ((*feed)[3].ke_id, TestKeId("KE1"));
  EXPECT_EQ((*feed)[4].ke_id, TestKeId("KE2"));
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
  const std::vector<crypto::KeyId> keys = {TestKeId("KB2"), TestKeId("nope"), TestKeId("KB1"),
                                           TestKeId("KB2")};
  std::vector<absl::StatusOr<EnrolmentView>> got = store_->GetEnrolmentsByKeIds(keys);
  ASSERT_EQ(got.size(), keys.size());
  ASSERT_THAT(got[0], IsOk());
  EXPECT_EQ(got[0]->enrolment.ke_id, TestKeId("KB2"));
  EXPECT_EQ(got[0]->enrolment.kpm_id, "b-2");
  EXPECT_EQ(got[0]->enrolee_state, EnroleeState::kDisabled);
  EXPECT_THAT(got[1], StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(got[2], IsOk());
  EXPECT_EQ(got[2]->enrolment.kpm_id, "b-1");
  EXPECT_EQ(got[2]->enrolee_state, EnroleeState::kActive);
  ASSERT_THAT(got[3], IsOk());
  EXPECT_EQ(got[3]->enrolment.ke_id, TestKeId("KB2"));
  EXPECT_TRUE(store_->GetEnrolmentsByKeIds({}).empty());
}

TEST_P(EnroleeStoreTest, RecordEnrolmentAndFetchIt) {
  Enrolee en = MakeEnrolee("e-1");
  en.not_after = absl::FromUnixMicros(2000000000000000);
  ASSERT_THAT(store_->CreateEnrolee(en), IsOk());
  Enrolment e = MakeEnrolment("e-1", "0011AABB");
  ASSERT_THAT(store_->RecordEnrolment(e), IsOk());
  auto view = store_->GetEnrolmentByKeId(TestKeId("0011AABB"));
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
  EXPECT_EQ(store_->GetEnrolmentByKeId(TestKeId("0011AABB"))->enrolee_state,
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
  EXPECT_THAT(store_->GetEnrolmentByKeId(TestKeId("K-async")), IsOk());
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
  std::vector<crypto::KeyId> seen;
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
  EXPECT_EQ(seen, (std::vector<crypto::KeyId>{TestKeId("B0"), TestKeId("B1"), TestKeId("B2"),
                                              TestKeId("B3"), TestKeId("B4"), TestKeId("B5"),
                                              TestKeId("B6")}));
  ListEnrolmentsRequest all;
  all.page_size = 1000;
  EXPECT_EQ(store_->ListEnrolments(all)->enrolments.size(), 14u);
}

TEST_P(EnroleeStoreTest, RevokeEnrolmentIsIdempotent) {
  ASSERT_THAT(store_->CreateEnrolee(MakeEnrolee("v-1")), IsOk());
  ASSERT_THAT(store_->RecordEnrolment(MakeEnrolment("v-1", "KV")), IsOk());
  int64_t start = *store_->LatestChangeSeq();
  ASSERT_THAT(store_->RevokeEnrolment(TestKeId("KV")), IsOk());
  ASSERT_THAT(store_->RevokeEnrolment(TestKeId("KV")), IsOk());
  EXPECT_TRUE(store_->GetEnrolmentByKeId(TestKeId("KV"))->enrolment.revoked);
  EXPECT_EQ(store_->GetEnrolmentByKeId(TestKeId("KV"))->enrolee_state, EnroleeState::kActive);
  auto feed = store_->ListStateChangesSince(start, 10);
  ASSERT_THAT(feed, IsOk());
  ASSERT_EQ(feed->size(), 1u);
  EXPECT_EQ((*feed)[0].ke_id, TestKeId("KV"));
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

INSTANTIATE_ENROLEE_STORE_TEST();

}  // namespace
}  // namespace mef
}  // namespace onem2m
