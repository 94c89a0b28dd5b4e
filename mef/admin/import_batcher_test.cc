#include "mef/admin/import_batcher.h"

#include <memory>
#include <string>

#include "common/crypto/envelope.h"
#include "gtest/gtest.h"
#include "mef/admin/envelope_kpm_sealer.h"
#include "mef/admin/testing/failing_store.h"
#include "mef/store/memory_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;

v1::ImportEnroleesRequest Row(int i, uint64_t ref = 0) {
  v1::ImportEnroleesRequest r;
  v1::EnroleeSpec* s = r.mutable_enrolee()->mutable_spec();
  s->set_kpm_id("dev-" + std::to_string(i));
  s->set_enrolee_id("C-dev-" + std::to_string(i));
  s->set_maf_id("maf.example.com");
  r.mutable_enrolee()->set_kpm(std::string(32, static_cast<char>('A' + i % 26)));
  r.set_row(ref);
  return r;
}

// RefusingSealer fails like a MEF whose keyring is missing.
class RefusingSealer final : public KpmSealer {
 public:
  absl::StatusOr<SealedKey> Seal(const SecretBytes&, absl::string_view) override {
    return absl::FailedPreconditionError("no KEK loaded");
  }
};

class ImportBatcherTest : public ::testing::Test {
 protected:
  MemoryEnroleeStore store_;
  crypto::Envelope envelope_{crypto::Keyring::Generate(3)};
  EnvelopeKpmSealer sealer_{&envelope_};
};

TEST_F(ImportBatcherTest, AddWipesKpmAndFlushesFullBatches) {
  ImportBatcher b(&store_, &sealer_, /*batch_size=*/2, "ops.example.com");
  v1::ImportEnroleesRequest r1 = Row(1);
  ASSERT_TRUE(b.Add(&r1).ok());
  EXPECT_TRUE(r1.enrolee().kpm().empty());
  EXPECT_EQ(b.accepted_count(), 0u);  // buffered
  EXPECT_EQ(b.first_uncommitted_position(), 1u);
  v1::ImportEnroleesRequest r2 = Row(2);
  ASSERT_TRUE(b.Add(&r2).ok());
  EXPECT_EQ(b.accepted_count(), 2u);  // batch written
  EXPECT_EQ(b.first_uncommitted_position(), 3u);
  absl::StatusOr<Enrolee> e = store_.GetEnrolee("dev-1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kpm.kek_version, 3);
}

TEST_F(ImportBatcherTest, BadRowsAreRejectedInStreamOrderWithRowReferences) {
  ImportBatcher b(&store_, &sealer_, /*batch_size=*/10, "ops.example.com");
  v1::ImportEnroleesRequest dup_source = Row(1, 11);
  ASSERT_TRUE(b.Add(&dup_source).ok());
  v1::ImportEnroleesRequest dup = Row(1, 12);  // rejected by the store at flush time
  ASSERT_TRUE(b.Add(&dup).ok());
  v1::ImportEnroleesRequest bad = Row(3, 13);  // rejected at once
  bad.mutable_enrolee()->mutable_spec()->set_enrolee_id("");
  ASSERT_TRUE(b.Add(&bad).ok());
  ASSERT_TRUE(b.Flush().ok());
  v1::ImportEnroleesSummary s = b.Summary();
  EXPECT_EQ(s.received_count(), 3u);
  EXPECT_EQ(s.accepted_count(), 1u);
  ASSERT_EQ(s.rejections_size(), 2);
  EXPECT_EQ(s.rejections(0).row(), 12u);  // sorted back into stream order
  EXPECT_EQ(s.rejections(0).code(), static_cast<int>(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(s.rejections(1).row(), 13u);
  EXPECT_EQ(s.rejections(1).reason().rfind("row 13: enrolee_id", 0), 0u) << s.rejections(1).reason();
}

TEST_F(ImportBatcherTest, RejectionListIsTruncatedButCountsAreNot) {
  ImportBatcher b(&store_, &sealer_, /*batch_size=*/100, "ops.example.com");
  for (int i = 0; i < 1005; ++i) {
    v1::ImportEnroleesRequest r = Row(i);
    r.mutable_enrolee()->set_kpm("x");
    ASSERT_TRUE(b.Add(&r).ok());
  }
  v1::ImportEnroleesSummary s = b.Summary();
  EXPECT_EQ(s.rejected_count(), 1005u);
  EXPECT_EQ(s.rejections_size(), 1000);
  EXPECT_TRUE(s.rejections_truncated());
}

TEST_F(ImportBatcherTest, StoreFailureIsStickyAndNamesTheFirstUncommittedRow) {
  testing::FailingStore failing(&store_, /*fail_from=*/2);
  ImportBatcher b(&failing, &sealer_, /*batch_size=*/2, "ops.example.com");
  for (int i = 1; i <= 3; ++i) {
    v1::ImportEnroleesRequest r = Row(i, 100 + i);
    absl::Status s = b.Add(&r);
    ASSERT_TRUE(s.ok()) << i;
  }
  v1::ImportEnroleesRequest r4 = Row(4, 104);
  EXPECT_EQ(b.Add(&r4).code(), absl::StatusCode::kUnavailable);  // second batch fails
  EXPECT_EQ(b.accepted_count(), 2u);
  EXPECT_EQ(b.first_uncommitted_position(), 3u);
  EXPECT_EQ(b.first_uncommitted_row(), 103u);
  v1::ImportEnroleesRequest r5 = Row(5);
  EXPECT_EQ(b.Add(&r5).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(r5.enrolee().kpm().empty());  // wiped even when refused
  EXPECT_FALSE(store_.GetEnrolee("dev-3").ok());
}

TEST_F(ImportBatcherTest, SealerFailureStopsTheImport) {
  RefusingSealer refusing;
  ImportBatcher b(&store_, &refusing, /*batch_size=*/2, "ops.example.com");
  v1::ImportEnroleesRequest r = Row(1, 7);
  EXPECT_EQ(b.Add(&r).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(b.first_uncommitted_row(), 7u);
  EXPECT_EQ(b.accepted_count(), 0u);
}

TEST_F(ImportBatcherTest, DropPendingForgetsBufferedRows) {
  ImportBatcher b(&store_, &sealer_, /*batch_size=*/10, "ops.example.com");
  v1::ImportEnroleesRequest r = Row(1);
  ASSERT_TRUE(b.Add(&r).ok());
  b.DropPending();
  ASSERT_TRUE(b.Flush().ok());
  EXPECT_FALSE(store_.GetEnrolee("dev-1").ok());
  EXPECT_EQ(b.accepted_count(), 0u);
}

}  // namespace
}  // namespace mef
}  // namespace onem2m
