#include "common/pg/test_schema.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/pg/status.h"
#include "pqxx/connection"
#include "pqxx/nontransaction"

namespace onem2m {
namespace pg {

bool TestSchema::Available() { return !ConnInfo().empty(); }

const char* TestSchema::SkipMessage() {
  return "ONEM2M_TEST_PG is not set; start a throwaway server with "
         "`eval \"$(bash tests/pg/start_pg.sh)\"` to run PostgreSQL tests";
}

std::string TestSchema::ConnInfo() {
  const char* v = std::getenv("ONEM2M_TEST_PG");
  return v == nullptr ? "" : v;
}

absl::StatusOr<std::unique_ptr<TestSchema>> TestSchema::Create() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  std::string name = absl::StrCat("test_", getpid(), "_", counter++, "_", rd() % 1000000);
  try {
    pqxx::connection c(ConnInfo());
    pqxx::nontransaction n(c);
    n.exec(absl::StrCat("CREATE SCHEMA ", n.quote_name(name)));
  } catch (...) {
    return CurrentExceptionToStatus("create test schema");
  }
  return std::unique_ptr<TestSchema>(new TestSchema(std::move(name)));
}

TestSchema::~TestSchema() {
  try {
    pqxx::connection c(ConnInfo());
    pqxx::nontransaction n(c);
    n.exec(absl::StrCat("DROP SCHEMA IF EXISTS ", n.quote_name(name_), " CASCADE"));
  } catch (...) {
    // Best effort: a leftover schema in a throwaway cluster harms nothing.
  }
}

PoolOptions TestSchema::PoolOptionsFor() const {
  PoolOptions o;
  o.conninfo = ConnInfo();
  o.schema = name_;
  o.connect_timeout = absl::Seconds(5);
  return o;
}

}  // namespace pg
}  // namespace onem2m
