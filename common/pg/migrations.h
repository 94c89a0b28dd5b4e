// File: common/pg/migrations.h
//
// RunMigrations brings a database schema up to the version a binary was built with. Migrations are
// versioned .sql files embedded at build time by the `pg_migrations` macro (migrations.bzl):
//
//   # BUILD
//   load("//common/pg:migrations.bzl", "pg_migrations")
//   pg_migrations(
//       name = "mef_migrations",                 # generates mef_migrations.h / .cc
//       srcs = glob(["migrations/*.sql"]),       # 0001_init.sql, 0002_add_x.sql, ...
//       function = "MefMigrations",              # onem2m::pg::Migrations MefMigrations();
//   )
//
//   // C++
//   #include "mef/store/mef_migrations.h"
//   absl::Status s = onem2m::pg::RunMigrations(pool, "mef", onem2m::pg::MefMigrations());
//
// Everything pending runs in ONE transaction that first takes pg_advisory_xact_lock on a key derived
// from the schema (components sharing a schema take turns), so replicas starting together apply
// each migration exactly once: the losers wait, then find nothing left to do. Applied versions are recorded in schema_migrations
// (component, version, name, applied_at). A database already at a version newer than the binary
// knows is refused (kFailedPrecondition), since this binary could misread its data.
//
// File names are NNNN_name.sql; versions must be 1, 2, 3, ... without gaps. Never edit an applied
// migration: add a new one.
#ifndef ONEM2M_COMMON_PG_MIGRATIONS_H_
#define ONEM2M_COMMON_PG_MIGRATIONS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/pg/pool.h"

namespace onem2m {
namespace pg {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

using Migrations = std::vector<Migration>;

// RunMigrations applies the pending `migrations` of `component` (e.g. "mef", "maf"; several
// components may share one schema) in the pool's schema, creating the schema if it is missing.
// Returns OK when the database is at the latest version; kFailedPrecondition if it is newer than
// `migrations` know or `migrations` is malformed; kUnavailable if the database is unreachable.
absl::Status RunMigrations(ConnectionPool& pool, absl::string_view component,
                           const Migrations& migrations);

// SchemaVersion returns the highest applied version of `component` (0 if none).
absl::StatusOr<int> SchemaVersion(ConnectionPool& pool, absl::string_view component);

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_MIGRATIONS_H_
