// Benchmark-like test: generates 100,000 enrolees, imports them through the CLI's
// library path (file reader, streaming runner) into a real MefAdminService over mutual TLS, and
// prints rows/s. Memory store always; PostgreSQL when ONEM2M_TEST_PG is set. Run with:
//   bazel test //services/admin:import_benchmark_test --test_output=streamed
//       --test_env=ONEM2M_TEST_PG="$ONEM2M_TEST_PG"   (one command line)
#include <iostream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "mef/admin/testing/admin_test_server.h"
#include "services/admin/enrolee_file.h"
#include "services/admin/enrolee_generator.h"
#include "services/admin/import_runner.h"

namespace onem2m {
namespace admin {
namespace {

class ImportBenchmark : public ::testing::TestWithParam<std::string> {};

TEST_P(ImportBenchmark, Import100000RowsFinishes) {
  auto server = mef::testing::AdminTestServer::Start(GetParam());
  if (server.status().code() == absl::StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << server.status().message();
  }
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string path = (*server)->dir() + "/100k.csv";
  GenerateOptions g;
  g.count = 100000;
  g.maf_id = "maf.example.com";
  ASSERT_TRUE(GenerateEnroleeFile(g, path, "").ok());

  const absl::Time start = absl::Now();
  auto src = OpenEnroleeFile(path);
  ASSERT_TRUE(src.ok()) << src.status();
  const double check_s = absl::ToDoubleSeconds(absl::Now() - start);
  auto stub = (*server)->NewStub(mef::testing::kAdminIdentity);
  ImportOptions options;
  std::ostringstream progress;
  options.progress = &progress;
  ImportReport report = RunImport(stub.get(), src->get(), options);
  EXPECT_TRUE(report.ok()) << FormatImportReport(report);
  EXPECT_EQ(report.accepted_rows, 100000u);
  std::cout << absl::StrFormat(
      "[ benchmark ] %s: 100000 rows: file check %.2f s, import %.2f s = %.0f rows/s\n", GetParam(),
      check_s, report.seconds, 100000 / report.seconds);
  std::cout << FormatImportReport(report);
}

INSTANTIATE_TEST_SUITE_P(Stores, ImportBenchmark, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace admin
}  // namespace onem2m
