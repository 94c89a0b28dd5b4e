#include "services/admin/enrolee_file.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace admin {
namespace {

using ::onem2m::testing::StatusIs;

constexpr char kKpmHex[] = "00112233445566778899aabbccddeeff";

std::vector<SourceRow> Drain(EnroleeSource* src) {
  std::vector<SourceRow> rows;
  SourceRow row;
  for (;;) {
    absl::StatusOr<bool> more = src->Next(&row);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) return rows;
    rows.push_back(row);
  }
}

TEST(EnroleeFileTest, CsvRowsBecomeRequestsWithLineNumbers) {
  auto src =
      OpenCsvText(std::string("kpm_id,kpm_hex,enrolee_id,maf_id,maf_uri,lifetime_seconds\n") +
                  "dev-1," + kKpmHex + ",C1,maf.example.com,https://maf:1,86400\n" + "\"dev,2\"," +
                  kKpmHex + ",C2,maf.example.com,,\n");
  ASSERT_TRUE(src.ok()) << src.status();
  EXPECT_EQ((*src)->total_rows(), 2u);
  std::vector<SourceRow> rows = Drain(src->get());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].row, 2u);
  EXPECT_TRUE(rows[0].error.ok());
  EXPECT_EQ(rows[0].request.spec().kpm_id(), "dev-1");
  EXPECT_EQ(rows[0].request.spec().maf_uri(), "https://maf:1");
  EXPECT_EQ(rows[0].request.spec().enrolment_lifetime().seconds(), 86400);
  EXPECT_EQ(rows[0].request.kpm().size(), 16u);
  EXPECT_EQ(static_cast<unsigned char>(rows[0].request.kpm()[15]), 0xFF);
  EXPECT_EQ(rows[1].row, 3u);
  EXPECT_EQ(rows[1].request.spec().kpm_id(), "dev,2");
  EXPECT_FALSE(rows[1].request.spec().has_enrolment_lifetime());
}

TEST(EnroleeFileTest, CsvColumnsInAnyOrderAndOptionalOnesMayBeMissing) {
  auto src = OpenCsvText(std::string("maf_id,kpm_hex,kpm_id,enrolee_id\r\nmaf.example.com,") +
                         kKpmHex + ",dev-1,C1\r\n");
  ASSERT_TRUE(src.ok()) << src.status();
  std::vector<SourceRow> rows = Drain(src->get());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].request.spec().maf_id(), "maf.example.com");
  EXPECT_EQ(rows[0].request.spec().kpm_id(), "dev-1");
}

TEST(EnroleeFileTest, FetchGrantsColumnBecomesTheAllowList) {
  auto src = OpenCsvText(std::string("kpm_id,kpm_hex,enrolee_id,maf_id,fetch_grants\n") + "dev-1," +
                         kKpmHex + ",C1,maf.example.com,cse.example.com/42  ae.example.com/7\n" +
                         "dev-2," + kKpmHex + ",C2,maf.example.com,\n" + "dev-3," + kKpmHex +
                         ",C3,maf.example.com,cse.example.com\n");
  ASSERT_TRUE(src.ok()) << src.status();
  std::vector<SourceRow> rows = Drain(src->get());
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_TRUE(rows[0].error.ok()) << rows[0].error;
  ASSERT_EQ(rows[0].request.spec().fetch_grants_size(), 2);
  EXPECT_EQ(rows[0].request.spec().fetch_grants(0).target_id(), "cse.example.com");
  EXPECT_EQ(rows[0].request.spec().fetch_grants(0).suid(), 42u);
  EXPECT_EQ(rows[0].request.spec().fetch_grants(1).target_id(), "ae.example.com");
  EXPECT_EQ(rows[0].request.spec().fetch_grants(1).suid(), 7u);
  EXPECT_TRUE(rows[1].error.ok());
  EXPECT_EQ(rows[1].request.spec().fetch_grants_size(), 0);
  EXPECT_FALSE(rows[2].error.ok());
  EXPECT_NE(rows[2].error.message().find("fetch_grants"), std::string::npos);
}

TEST(EnroleeFileTest, CsvFileLevelErrorsStopBeforeAnythingIsRead) {
  EXPECT_FALSE(OpenCsvText("").ok());
  auto unknown = OpenCsvText("kpm_id,kpm_hex,enrolee_id,maf_id,kpm\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown column 'kpm'"), std::string::npos);
  auto missing = OpenCsvText("kpm_id,enrolee_id,maf_id\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing column 'kpm_hex'"), std::string::npos);
  auto repeated = OpenCsvText("kpm_id,kpm_id,kpm_hex,enrolee_id,maf_id\n");
  EXPECT_FALSE(repeated.ok());
  // A syntax error on the last line is found before the first row is handed out.
  auto syntax = OpenCsvText(std::string("kpm_id,kpm_hex,enrolee_id,maf_id\nd,") + kKpmHex +
                            ",C,m.example.com\nd2,\"x\"y,C,m\n");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("line 3"), std::string::npos);
}

TEST(EnroleeFileTest, CsvRowLevelProblemsAreReportedPerRow) {
  auto src = OpenCsvText(std::string("kpm_id,kpm_hex,enrolee_id,maf_id,lifetime_seconds\n") +
                         "a,zz,C,m.example.com,\n" +                 // bad hex
                         "b," + kKpmHex + ",C,m.example.com\n" +     // too few fields
                         "c," + kKpmHex + ",C,m.example.com,-3\n" +  // bad lifetime
                         "d,abc,C,m.example.com,\n" +                // odd hex
                         "e," + kKpmHex + ",C,m.example.com,60\n");  // good
  ASSERT_TRUE(src.ok()) << src.status();
  std::vector<SourceRow> rows = Drain(src->get());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_NE(rows[0].error.message().find("kpm_hex: not hexadecimal"), std::string::npos);
  EXPECT_NE(rows[1].error.message().find("expected 5 fields"), std::string::npos);
  EXPECT_NE(rows[2].error.message().find("lifetime_seconds"), std::string::npos);
  EXPECT_NE(rows[3].error.message().find("odd number"), std::string::npos);
  EXPECT_TRUE(rows[4].error.ok());
  EXPECT_EQ(rows[0].kpm_id, "a");
  EXPECT_TRUE(rows[0].request.kpm().empty());
  for (const SourceRow& r : rows) {
    EXPECT_EQ(r.error.message().find(kKpmHex), std::string::npos);
  }
}

TEST(EnroleeFileTest, JsonArrayOfObjects) {
  auto src =
      OpenJsonText(std::string("[{\"kpm_id\":\"dev-1\",\"kpm_hex\":\"") + kKpmHex +
                   "\",\"enrolee_id\":\"C1\",\"maf_id\":\"maf.example.com\","
                   "\"lifetime_seconds\":60,\"maf_uri\":null},"
                   "{\"kpm_id\":\"dev-2\",\"enrolee_id\":\"C2\",\"maf_id\":\"m\"},"
                   "{\"kpm_id\":\"dev-3\",\"kpm_hex\":\"00\",\"enrolee_id\":\"C\","
                   "\"maf_id\":\"m\",\"colour\":\"red\"},"
                   "{\"kpm_id\":\"dev-4\",\"kpm_hex\":1,\"enrolee_id\":\"C\",\"maf_id\":\"m\"},"
                   "42]");
  ASSERT_TRUE(src.ok()) << src.status();
  EXPECT_EQ((*src)->total_rows(), 5u);
  std::vector<SourceRow> rows = Drain(src->get());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_TRUE(rows[0].error.ok()) << rows[0].error;
  EXPECT_EQ(rows[0].row, 1u);
  EXPECT_EQ(rows[0].request.spec().enrolment_lifetime().seconds(), 60);
  EXPECT_EQ(rows[0].request.kpm().size(), 16u);
  EXPECT_NE(rows[1].error.message().find("kpm_hex: required"), std::string::npos);
  EXPECT_NE(rows[2].error.message().find("unknown key 'colour'"), std::string::npos);
  EXPECT_NE(rows[3].error.message().find("kpm_hex: must be a string"), std::string::npos);
  EXPECT_NE(rows[4].error.message().find("not an object"), std::string::npos);
  EXPECT_EQ(rows[3].kpm_id, "dev-4");
}

TEST(EnroleeFileTest, JsonSyntaxErrorDoesNotQuoteTheInput) {
  auto src = OpenJsonText(std::string("[{\"kpm_hex\": \"") + kKpmHex + "\" oops}]");
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().message().find(kKpmHex), std::string::npos) << src.status().message();
  EXPECT_FALSE(OpenJsonText("{\"not\":\"an array\"}").ok());
}

TEST(EnroleeFileTest, UnknownExtensionIsRefused) {
  EXPECT_THAT(OpenEnroleeFile("/tmp/x.xlsx"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenEnroleeFile("/nonexistent/x.csv"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace admin
}  // namespace onem2m
