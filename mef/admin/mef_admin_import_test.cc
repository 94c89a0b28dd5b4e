// MefAdminService bulk import (rejections, fetch grants, store failure mid-stream, the row limit,
// a cancelled stream) through a real gRPC server with mutual TLS, over the in-memory store and
// (when ONEM2M_TEST_PG is set) PostgreSQL.
#include "mef/admin/mef_admin_service.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mef/admin/testing/admin_service_fixture.h"
#include "mef/admin/testing/failing_store.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using testing::KpmId;
using testing::Row;
using testing::FailingStore;

class MefAdminImportTest : public testing::MefAdminFixture {};

TEST_P(MefAdminImportTest, ImportReportsRejectedRowsWithReasons) {
  std::vector<v1::ImportEnroleesRequest> rows;
  for (int i = 1; i <= 10; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    r.set_row(100 + i);  // e.g. file line numbers
    rows.push_back(r);
  }
  rows[2].mutable_enrolee()->set_kpm(std::string(4, 'k'));           // row 103
  rows[5].mutable_enrolee()->mutable_spec()->set_maf_id("Bad_Maf");  // row 106
  rows[8].mutable_enrolee()->mutable_spec()->set_kpm_id(KpmId(1));   // row 109: duplicate
  rows[9].set_row(0);                                                // position 10
  v1::ImportEnroleesSummary summary;
  grpc::ClientContext ctx;
  grpc::Status s = Import(rows, &summary, &ctx);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(summary.received_count(), 10u);
  EXPECT_EQ(summary.accepted_count(), 7u);
  EXPECT_EQ(summary.rejected_count(), 3u);
  ASSERT_EQ(summary.rejections_size(), 3);
  EXPECT_EQ(summary.rejections(0).row(), 103u);
  EXPECT_EQ(summary.rejections(0).code(), 3);  // INVALID_ARGUMENT
  EXPECT_EQ(summary.rejections(0).kpm_id(), KpmId(3));
  EXPECT_NE(summary.rejections(0).reason().find("row 103: kpm:"), std::string::npos)
      << summary.rejections(0).reason();
  EXPECT_EQ(summary.rejections(1).row(), 106u);
  EXPECT_NE(summary.rejections(1).reason().find("maf_id"), std::string::npos);
  EXPECT_EQ(summary.rejections(2).row(), 109u);
  EXPECT_EQ(summary.rejections(2).code(), 6);  // ALREADY_EXISTS
  for (int i : {1, 2, 4, 5, 7, 8, 10}) {
    EXPECT_TRUE(server_->store()->GetEnrolee(KpmId(i)).ok()) << i;
  }
  EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(3)).ok());
}

TEST_P(MefAdminImportTest, FetchGrantsTravelThroughCreateImportGetAndSet) {
  v1::CreateEnroleeRequest row = Row(1);
  v1::FetchGrant* g = row.mutable_spec()->add_fetch_grants();
  g->set_target_id("cse.example.com");
  g->set_suid(42);
  v1::Enrolee created;
  ASSERT_TRUE(Create(row, &created).ok());
  ASSERT_EQ(created.spec().fetch_grants_size(), 1);
  EXPECT_EQ(created.spec().fetch_grants(0).suid(), 42u);

  v1::GetEnroleeRequest get;
  get.set_kpm_id(KpmId(1));
  v1::Enrolee got;
  ASSERT_TRUE(stub_->GetEnrolee(Ctx().get(), get, &got).ok());
  ASSERT_EQ(got.spec().fetch_grants_size(), 1);
  EXPECT_EQ(got.spec().fetch_grants(0).target_id(), "cse.example.com");

  // Import carries them too.
  v1::ImportEnroleesRequest imp;
  *imp.mutable_enrolee() = Row(2);
  g = imp.mutable_enrolee()->mutable_spec()->add_fetch_grants();
  g->set_target_id("ae.example.com");
  g->set_suid(7);
  v1::ImportEnroleesSummary summary;
  grpc::ClientContext ctx;
  ASSERT_TRUE(Import({imp}, &summary, &ctx).ok());
  EXPECT_EQ(summary.accepted_count(), 1u);
  absl::StatusOr<std::vector<FetchGrant>> stored = server_->store()->GetFetchGrants(KpmId(2));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, (std::vector<FetchGrant>{{"ae.example.com", 7}}));

  // SetFetchGrants replaces the list.
  v1::SetFetchGrantsRequest set;
  set.set_kpm_id(KpmId(1));
  g = set.add_fetch_grants();
  g->set_target_id("other.example.com");
  g->set_suid(9);
  v1::Enrolee after;
  grpc::Status s = stub_->SetFetchGrants(Ctx().get(), set, &after);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(after.spec().fetch_grants_size(), 1);
  EXPECT_EQ(after.spec().fetch_grants(0).target_id(), "other.example.com");
  EXPECT_EQ(*server_->store()->GetFetchGrants(KpmId(1)),
            (std::vector<FetchGrant>{{"other.example.com", 9}}));

  // Bad grants are refused naming the field; an unknown enrolee is NOT_FOUND.
  g->set_target_id("Not_An_Fqdn");
  s = stub_->SetFetchGrants(Ctx().get(), set, &after);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("fetch_grants[0]"), std::string::npos) << s.error_message();
  g->set_target_id("x.example.com");
  g->set_suid(0);
  EXPECT_EQ(stub_->SetFetchGrants(Ctx().get(), set, &after).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  g->set_suid(1);
  set.set_kpm_id("nobody");
  EXPECT_EQ(stub_->SetFetchGrants(Ctx().get(), set, &after).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::CreateEnroleeRequest bad = Row(3);
  bad.mutable_spec()->add_fetch_grants()->set_target_id("cse.example.com");  // suid 0
  EXPECT_EQ(Create(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(MefAdminImportTest, ImportStoreFailureReportsExactlyWhatWasCommitted) {
  MefAdminOptions options;
  options.import_batch_size = 10;
  StartServer(options, [](EnroleeStore* real) {
    return std::make_unique<FailingStore>(real, /*fail_from=*/3);
  });
  std::vector<v1::ImportEnroleesRequest> rows;
  for (int i = 1; i <= 50; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    r.set_row(i + 1);  // CSV line: header is line 1
    rows.push_back(r);
  }
  rows[4].mutable_enrolee()->set_kpm("short");  // line 6: rejected, in the committed prefix
  v1::ImportEnroleesSummary ignored;
  grpc::ClientContext ctx;
  grpc::Status s = Import(rows, &ignored, &ctx);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // Batches 1 and 2 (rows 1..21 by position, one rejected) committed; batch 3 failed.
  EXPECT_NE(s.error_message().find("20 rows were stored"), std::string::npos) << s.error_message();
  const auto& md = ctx.GetServerTrailingMetadata();
  auto it = md.find(kImportSummaryMetadataKey);
  ASSERT_NE(it, md.end());
  v1::ImportEnroleesSummary partial;
  ASSERT_TRUE(partial.ParseFromString(std::string(it->second.data(), it->second.size())));
  EXPECT_EQ(partial.accepted_count(), 20u);
  EXPECT_EQ(partial.rejected_count(), 1u);
  auto first = md.find(kFirstUncommittedRowMetadataKey);
  ASSERT_NE(first, md.end());
  EXPECT_EQ(std::string(first->second.data(), first->second.size()), "23");  // position 22
  int stored = 0;
  for (int i = 1; i <= 50; ++i) stored += server_->store()->GetEnrolee(KpmId(i)).ok() ? 1 : 0;
  EXPECT_EQ(stored, 20);
  EXPECT_TRUE(server_->store()->GetEnrolee(KpmId(21)).ok());
  EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(22)).ok());
}

TEST_P(MefAdminImportTest, ImportOverTheRowLimitKeepsRowsBeforeIt) {
  MefAdminOptions options;
  options.max_import_rows = 5;
  options.import_batch_size = 2;
  StartServer(options, nullptr);
  std::vector<v1::ImportEnroleesRequest> rows;
  for (int i = 1; i <= 7; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    rows.push_back(r);
  }
  v1::ImportEnroleesSummary ignored;
  grpc::ClientContext ctx;
  grpc::Status s = Import(rows, &ignored, &ctx);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("5 rows were stored"), std::string::npos) << s.error_message();
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(server_->store()->GetEnrolee(KpmId(i)).ok()) << i;
  EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(6)).ok());
}

TEST_P(MefAdminImportTest, ImportCancelledByTheClientStoresNothingPending) {
  // With the default batch of 1000 the rows sent are still buffered when the client cancels: the
  // server must not write rows whose outcome the client can no longer learn.
  grpc::ClientContext ctx;
  v1::ImportEnroleesSummary summary;
  auto writer = stub_->ImportEnrolees(&ctx, &summary);
  for (int i = 1; i <= 5; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    ASSERT_TRUE(writer->Write(r));
  }
  ctx.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // Shutdown returns once the import handler has returned, so whatever it was going to write is
  // written by then.
  server_->Shutdown();
  for (int i = 1; i <= 5; ++i) EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(i)).ok()) << i;
}

INSTANTIATE_TEST_SUITE_P(Stores, MefAdminImportTest, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace mef
}  // namespace onem2m
