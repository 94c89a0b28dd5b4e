#include "services/admin/csv_reader.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace onem2m {
namespace admin {
namespace {

using Records = std::vector<std::vector<std::string>>;

// ReadAll returns every record, or the first error's message prefixed by "ERROR ".
absl::StatusOr<Records> ReadAll(const std::string& text, std::vector<uint64_t>* lines = nullptr) {
  std::istringstream in(text, std::ios::binary);
  CsvReader reader(&in);
  Records out;
  std::vector<std::string> fields;
  for (;;) {
    absl::StatusOr<bool> more = reader.ReadRecord(&fields);
    if (!more.ok()) return more.status();
    if (!*more) return out;
    out.push_back(fields);
    if (lines != nullptr) lines->push_back(reader.record_line());
  }
}

TEST(CsvReaderTest, ReadsPlainRecordsWithLfAndCrlf) {
  auto r = ReadAll("a,b,c\n1,2,3\r\n4,5,6");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (Records{{"a", "b", "c"}, {"1", "2", "3"}, {"4", "5", "6"}}));
}

TEST(CsvReaderTest, EmptyFieldsAreKept) {
  auto r = ReadAll(",a,,\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Records{{"", "a", "", ""}}));
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  std::vector<uint64_t> lines;
  auto r = ReadAll("h\n\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\nnext,\"\"\n", &lines);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1], (std::vector<std::string>{"a,b", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ((*r)[2], (std::vector<std::string>{"next", ""}));
  // The record after the embedded line break starts on line 4.
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 4}));
}

TEST(CsvReaderTest, SkipsByteOrderMarkAndEmptyLines) {
  std::vector<uint64_t> lines;
  auto r = ReadAll("\xEF\xBB\xBFk\n\n\r\nv\n\n", &lines);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (Records{{"k"}, {"v"}}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 4}));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) {
  auto r = ReadAll("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(CsvReaderTest, MalformedInputFailsNamingTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"a\nb\"c\n", "line 2: quote inside an unquoted field"},
      {"a\n\"bc\"d\n", "line 2: character after a closing quote"},
      {"a\n\"never closed\nstill\n", "line 2: quoted field is not terminated"},
      {"a\rb\n", "line 1: carriage return not followed by LF"},
      {std::string("a\n\0b\n", 5).c_str(), ""},  // see NulIsRefused
  };
  for (const Case& c : cases) {
    if (std::string(c.message).empty()) continue;
    SCOPED_TRACE(c.text);
    auto r = ReadAll(c.text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind(c.message, 0), 0u) << r.status().message();
  }
}

TEST(CsvReaderTest, NulIsRefused) {
  auto r = ReadAll(std::string("a\nb\0c\n", 6));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 2: NUL byte in field");
}

TEST(CsvReaderTest, OverlongFieldIsRefused) {
  auto r = ReadAll(std::string(kMaxCsvFieldLen + 1, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("64 KiB"), std::string::npos);
}

TEST(CsvReaderTest, StaysFailedAfterAnError) {
  std::istringstream in("a\"\nb\n", std::ios::binary);
  CsvReader reader(&in);
  std::vector<std::string> f;
  EXPECT_FALSE(reader.ReadRecord(&f).ok());
  EXPECT_FALSE(reader.ReadRecord(&f).ok());
}

}  // namespace
}  // namespace admin
}  // namespace onem2m
