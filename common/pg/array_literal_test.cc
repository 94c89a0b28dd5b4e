#include "common/pg/array_literal.h"

#include <string>
#include <vector>

#include "common/pg/pool.h"
#include "common/pg/test_schema.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace pg {
namespace {

TEST(ArrayLiteralTest, QuotesEveryElement) {
  EXPECT_EQ(TextArrayLiteral({}), "{}");
  EXPECT_EQ(TextArrayLiteral({"a", "b c"}), "{\"a\",\"b c\"}");
  EXPECT_EQ(TextArrayLiteral({"x\"y\\z"}), "{\"x\\\"y\\\\z\"}");
  EXPECT_EQ(ByteaArrayLiteral({std::string("\x00\xff", 2)}), "{\"\\\\x00ff\"}");
}

// PostgreSQL's own parser must read back exactly what went in, hostile text included.
TEST(ArrayLiteralTest, RoundTripsThroughPostgres) {
  if (!TestSchema::Available()) GTEST_SKIP() << TestSchema::SkipMessage();
  auto schema = TestSchema::Create();
  ASSERT_TRUE(schema.ok()) << schema.status();
  auto pool = ConnectionPool::Create((*schema)->PoolOptionsFor());
  ASSERT_TRUE(pool.ok()) << pool.status();
  const std::vector<std::string> text = {"plain", "with,comma", "{braces}", "\"quoted\"",
                                         "back\\slash", "NULL", "", " spaced ",
                                         "0011AABB@mef.example.com"};
  std::string bin1("\x00\x01\xfe\xff", 4), bin2 = "", bin3(300, '\x80');
  const std::vector<absl::string_view> bytes = {bin1, bin2, bin3};
  absl::Status s = (*pool)->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    pqxx::result r = n.exec_params(
        "SELECT t, ord FROM unnest($1::text[]) WITH ORDINALITY AS u(t, ord) ORDER BY ord",
        TextArrayLiteral(text));
    EXPECT_EQ(r.size(), text.size());
    for (size_t i = 0; i < r.size() && i < text.size(); ++i) {
      EXPECT_FALSE(r[i][0].is_null()) << i;
      EXPECT_EQ(r[i][0].as<std::string>(), text[i]) << i;
    }
    pqxx::result b = n.exec_params(
        "SELECT encode(b, 'hex'), ord FROM unnest($1::bytea[]) WITH ORDINALITY AS u(b, ord)"
        " ORDER BY ord",
        ByteaArrayLiteral(bytes));
    EXPECT_EQ(b.size(), bytes.size());
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < b.size() && i < bytes.size(); ++i) {
      std::string want;
      for (unsigned char ch : bytes[i]) {
        want.push_back(kHex[ch >> 4]);
        want.push_back(kHex[ch & 0xf]);
      }
      EXPECT_EQ(b[i][0].as<std::string>(), want) << i;
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace pg
}  // namespace onem2m
