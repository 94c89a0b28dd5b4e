// File: common/pg/test_schema.h
//
// TestSchema gives a test its own freshly created PostgreSQL schema in the database named by the
// ONEM2M_TEST_PG environment variable (a libpq connection string; tests/pg/start_pg.sh sets it), and
// drops it with everything in it when destroyed. Tests in parallel never see each other's tables.
//
//   std::unique_ptr<TestSchema> schema;
//   if (!TestSchema::Available()) GTEST_SKIP() << TestSchema::SkipMessage();
//   schema = *TestSchema::Create();
//   PoolOptions options = schema->PoolOptionsFor();   // conninfo + schema set
#ifndef ONEM2M_COMMON_PG_TEST_SCHEMA_H_
#define ONEM2M_COMMON_PG_TEST_SCHEMA_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/pg/pool.h"

namespace onem2m {
namespace pg {

class TestSchema {
 public:
  // Available reports whether ONEM2M_TEST_PG is set and non-empty.
  static bool Available();
  // SkipMessage explains how to enable PostgreSQL tests.
  static const char* SkipMessage();
  // ConnInfo returns ONEM2M_TEST_PG.
  static std::string ConnInfo();

  // Create makes a schema with a unique name (pid, counter, random suffix).
  static absl::StatusOr<std::unique_ptr<TestSchema>> Create();
  ~TestSchema();

  const std::string& name() const { return name_; }
  // PoolOptionsFor returns pool options pointing at this schema.
  PoolOptions PoolOptionsFor() const;

 private:
  explicit TestSchema(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_TEST_SCHEMA_H_
