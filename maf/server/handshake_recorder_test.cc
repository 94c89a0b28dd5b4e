// HandshakeRecorder (handshake_recorder.h) over a MemoryMafStore on a FakeClock: one note per Km
// per interval reaches the store, notes survive a store outage and go in at the next flush, the
// pending notes are bounded, and the background thread flushes by itself.
#include "maf/server/handshake_recorder.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "maf/store/forwarding_maf_store.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m::maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

crypto::KeyId KmId(int i) {
  std::string rel(16, 'K');
  rel[15] = static_cast<char>(i);
  return *crypto::KeyId::FromParts(rel, "maf.example.com");
}

// OutageStore fails RecordHandshakes while `down` is set, as a store whose database is away.
class OutageStore : public ForwardingMafStore {
 public:
  using ForwardingMafStore::ForwardingMafStore;
  absl::Status RecordHandshakes(const std::vector<HandshakeRecord>& records) override {
    ++calls;
    if (down) return absl::UnavailableError("database unavailable");
    return ForwardingMafStore::RecordHandshakes(records);
  }
  std::atomic<bool> down{false};
  std::atomic<int> calls{0};
};

class HandshakeRecorderTest : public ::testing::Test {
 protected:
  HandshakeRecorderTest() {
    std::unique_ptr<MemoryMafStore> inner = MemoryMafStore::Create(&clock_);
    memory_ = inner.get();
    store_ = std::make_unique<OutageStore>(std::move(inner));
    for (int i = 1; i <= 3; ++i) {
      MafCredential c;
      c.km_id = KmId(i);
      std::string rel(16, 'E');
      rel[15] = static_cast<char>(i);
      c.ke_id = *crypto::KeyId::FromParts(rel, "mef.example.com");
      c.km = SealedKey{"sealed", 1};
      c.enrolee_id = "C-dev" + std::to_string(i);
      c.mef_fqdn = "mef.example.com";
      c.expires_at = kT0 + absl::Hours(24);
      EXPECT_THAT(store_->PutCredential(c), IsOk());
    }
  }

  HandshakeRecorderOptions Options() {
    HandshakeRecorderOptions o;
    o.flush_every = absl::ZeroDuration();  // the tests flush
    o.clock = &clock_;
    return o;
  }

  MafCredential Stored(int i) {
    absl::StatusOr<MafCredential> c = memory_->FindCredential(CredentialKey::kKmId, KmId(i));
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *c : MafCredential();
  }

  // ExpectNote checks credential i's stored last handshake.
  void ExpectNote(int i, Transport transport, absl::Time at) {
    const MafCredential c = Stored(i);
    EXPECT_EQ(c.last_transport, transport) << "credential " << i;
    EXPECT_EQ(c.last_handshake_at, at) << "credential " << i;
  }
  // ExpectCounts checks the recorder's written, failed-batch and dropped counts.
  static void ExpectCounts(const HandshakeRecorder& r, int64_t written, int64_t failed_batches,
                           int64_t dropped) {
    const HandshakeRecorderStats s = r.stats();
    EXPECT_EQ(s.written, written);
    EXPECT_EQ(s.failed_batches, failed_batches);
    EXPECT_EQ(s.dropped, dropped);
  }

  FakeClock clock_{kT0};
  MemoryMafStore* memory_ = nullptr;
  std::unique_ptr<OutageStore> store_;
};

TEST_F(HandshakeRecorderTest, OneNotePerKmPerIntervalReachesTheStore) {
  HandshakeRecorder r(store_.get(), Options());
  r.Note(KmId(1), Transport::kDtls);
  clock_.Advance(absl::Seconds(10));
  r.Note(KmId(1), Transport::kTls);  // within the interval: not noted again
  r.Note(KmId(2), Transport::kTls);
  ASSERT_THAT(r.Flush(), IsOk());
  EXPECT_EQ(store_->calls, 1);
  ExpectNote(1, Transport::kDtls, kT0);
  ExpectNote(2, Transport::kTls, kT0 + absl::Seconds(10));
  EXPECT_EQ(Stored(3).last_transport, Transport::kUnspecified);

  ASSERT_THAT(r.Flush(), IsOk());  // nothing pending: no store call
  EXPECT_EQ(store_->calls, 1);
  clock_.Advance(absl::Minutes(1));
  r.Note(KmId(1), Transport::kTls);
  ASSERT_THAT(r.Flush(), IsOk());
  ExpectNote(1, Transport::kTls, kT0 + absl::Seconds(70));
  EXPECT_EQ(r.stats().noted, 4);
  ExpectCounts(r, /*written=*/3, /*failed_batches=*/0, /*dropped=*/0);
}

TEST_F(HandshakeRecorderTest, NotesSurviveAStoreOutageAndTheNewerNoteWins) {
  HandshakeRecorder r(store_.get(), Options());
  r.Note(KmId(1), Transport::kDtls);
  r.Note(KmId(2), Transport::kDtls);
  store_->down = true;
  EXPECT_THAT(r.Flush(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Stored(1).last_transport, Transport::kUnspecified);
  clock_.Advance(absl::Minutes(2));
  r.Note(KmId(1), Transport::kTls);  // newer than the kept note of Km 1
  store_->down = false;
  ASSERT_THAT(r.Flush(), IsOk());
  ExpectNote(1, Transport::kTls, kT0 + absl::Minutes(2));
  ExpectNote(2, Transport::kDtls, kT0);
  ExpectCounts(r, /*written=*/2, /*failed_batches=*/1, /*dropped=*/0);
}

TEST_F(HandshakeRecorderTest, ShutdownDoesNotWaitForADatabaseThatIsAway) {
  {
    HandshakeRecorder r(store_.get(), Options());
    r.Note(KmId(1), Transport::kTls);
    store_->down = true;
    EXPECT_THAT(r.Flush(), StatusIs(absl::StatusCode::kUnavailable));
    r.Note(KmId(2), Transport::kTls);
  }  // the last write failed: no final write
  EXPECT_EQ(store_->calls, 1);
  store_->down = false;
  {
    HandshakeRecorder r(store_.get(), Options());
    r.Note(KmId(3), Transport::kTls);
  }  // nothing failed: the final write goes
  EXPECT_EQ(store_->calls, 2);
  EXPECT_EQ(Stored(3).last_transport, Transport::kTls);
}

TEST_F(HandshakeRecorderTest, PendingNotesAreBoundedAndBatched) {
  HandshakeRecorderOptions o = Options();
  o.max_pending = 2;
  o.batch = 1;
  HandshakeRecorder r(store_.get(), o);
  r.Note(KmId(1), Transport::kTls);
  r.Note(KmId(2), Transport::kTls);
  r.Note(KmId(3), Transport::kTls);  // a third Km while two are held: dropped
  EXPECT_EQ(r.stats().dropped, 1);
  ASSERT_THAT(r.Flush(), IsOk());
  EXPECT_EQ(store_->calls, 2);  // one call per batch of one
  EXPECT_EQ(Stored(3).last_transport, Transport::kUnspecified);
  EXPECT_EQ(r.stats().written, 2);
}

TEST_F(HandshakeRecorderTest, RemembersKmForAtMostTwoIntervalsAndNeverNotesOneTwiceWithinOne) {
  HandshakeRecorder r(store_.get(), Options());
  r.Note(KmId(1), Transport::kTls);
  r.Note(KmId(2), Transport::kTls);
  ASSERT_THAT(r.Flush(), IsOk());
  EXPECT_EQ(r.tracked(), 2u);
  clock_.Advance(absl::Seconds(59));
  r.Note(KmId(3), Transport::kTls);  // one second before the first rotation
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(r.Flush(), IsOk());  // rotates: all three now in the older generation
  EXPECT_EQ(r.tracked(), 3u);
  clock_.Advance(absl::Seconds(30));
  r.Note(KmId(3), Transport::kDtls);  // noted 31 s ago, in the older generation: still too soon
  EXPECT_EQ(r.stats().noted, 4);
  ASSERT_THAT(r.Flush(), IsOk());
  EXPECT_EQ(r.stats().written, 3);
  EXPECT_EQ(Stored(3).last_transport, Transport::kTls);
  clock_.Advance(absl::Seconds(30));
  ASSERT_THAT(r.Flush(), IsOk());  // the second rotation retires the first three
  EXPECT_EQ(r.tracked(), 0u);
  r.Note(KmId(3), Transport::kDtls);
  ASSERT_THAT(r.Flush(), IsOk());
  ExpectNote(3, Transport::kDtls, kT0 + absl::Minutes(2));
}

TEST_F(HandshakeRecorderTest, TheThreadFlushesByItselfAndTheDestructorFlushesTheRest) {
  HandshakeRecorderOptions o = Options();
  o.flush_every = absl::Milliseconds(10);
  {
    HandshakeRecorder r(store_.get(), o);
    r.Note(KmId(1), Transport::kTls);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (r.stats().written < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    EXPECT_EQ(r.stats().written, 1);
    EXPECT_EQ(Stored(1).last_transport, Transport::kTls);
    r.Note(KmId(2), Transport::kDtls);
  }
  EXPECT_EQ(Stored(2).last_transport, Transport::kDtls);
}

}  // namespace
}  // namespace onem2m::maf
