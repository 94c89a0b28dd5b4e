#include "common/pg/migrations.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/pg/status.h"
#include "pqxx/nontransaction"
#include "pqxx/transaction"

namespace onem2m {
namespace pg {
namespace {

absl::Status CheckWellFormed(const Migrations& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migrations must be numbered 1, 2, 3, ... without gaps; position ", i + 1, " has version ",
          migrations[i].version));
    }
  }
  return absl::OkStatus();
}

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component text NOT NULL,"
    " version integer NOT NULL,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (component, version))";

}  // namespace

absl::Status RunMigrations(ConnectionPool& pool, absl::string_view component,
                           const Migrations& migrations) {
  absl::Status s = CheckWellFormed(migrations);
  if (!s.ok()) return s;
  const std::string schema = pool.options().schema;
  return pool.Run([&](pqxx::connection& c) -> absl::Status {
    try {
      pqxx::work w(c);
      // The lock key is the schema: every component migrating in it (the MEF and the MAF may share
      // a database) creates the one schema_migrations table, and concurrent CREATE ... IF NOT
      // EXISTS fails on a catalog unique index, so they take turns. Unrelated schemas (tests,
      // tenants) never wait on each other. It is released by COMMIT/ROLLBACK, so a crashed replica
      // cannot leave it held.
      w.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                    absl::StrCat("onem2m-migrations/", schema));
      if (!schema.empty()) {
        // Under the lock: concurrent CREATE ... IF NOT EXISTS can still fail on a catalog unique
        // index, which is why the lock comes first.
        w.exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", w.quote_name(schema)));
      }
      w.exec(kCreateTable);
      pqxx::row r = w.exec_params1(
          "SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = $1",
          std::string(component));
      const int current = r[0].as<int>();
      const int latest = static_cast<int>(migrations.size());
      if (current > latest) {
        return absl::FailedPreconditionError(absl::StrCat(
            "database schema of '", component, "' is at version ", current,
            " but this binary knows only up to ", latest, "; refusing to start (upgrade the binary)"));
      }
      for (const Migration& m : migrations) {
        if (m.version <= current) continue;
        w.exec(m.sql);
        w.exec_params("INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                      std::string(component), m.version, std::string(m.name));
      }
      w.commit();
      return absl::OkStatus();
    } catch (...) {
      return CurrentExceptionToStatus(absl::StrCat("migrate ", component));
    }
  });
}

absl::StatusOr<int> SchemaVersion(ConnectionPool& pool, absl::string_view component) {
  int version = 0;
  absl::Status s = pool.RunRead([&](pqxx::connection& c) -> absl::Status {
    try {
      pqxx::work w(c);
      pqxx::row exists = w.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
      if (exists[0].as<bool>()) {
        pqxx::row r = w.exec_params1(
            "SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = $1",
            std::string(component));
        version = r[0].as<int>();
      }
      w.commit();
      return absl::OkStatus();
    } catch (...) {
      return CurrentExceptionToStatus("read schema version");
    }
  });
  if (!s.ok()) return s;
  return version;
}

}  // namespace pg
}  // namespace onem2m
