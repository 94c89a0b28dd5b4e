// File: common/pg/pool.h
//
// ConnectionPool is a small, bounded pool of libpqxx connections shared by the MEF's and the MAF's
// stores. It is the one place (with the stores' own code running inside Run) where pqxx exceptions
// are caught; they leave as absl::Status (see ToStatus in status.h).
//
// Recovery: a connection that broke (server restart, pg_terminate_backend, network) is discarded
// when the failing call returns, together with every idle connection (a restart kills them all),
// and a fresh one is made on the next use, so the service heals by
// itself when the database comes back. Writes report kUnavailable once and succeed on a later call;
// RunRead retries an idempotent read once on a fresh connection, since a pooled connection that went
// stale while idle is the common case after a database restart.
//
//   PoolOptions options;
//   options.conninfo = "host=127.0.0.1 port=5432 user=mef dbname=mef";
//   options.max_size = 8;
//   options.prepare = {{"get_enrolee", "SELECT ... WHERE kpm_id = $1"}};
//   absl::StatusOr<std::unique_ptr<ConnectionPool>> pool = ConnectionPool::Create(options);
//   absl::Status s = (*pool)->Run([&](pqxx::connection& c) -> absl::Status {
//     pqxx::work w(c);
//     w.exec_prepared("get_enrolee", kpm_id);
//     w.commit();
//     return absl::OkStatus();
//   });
//
// Thread safety: all methods may be called concurrently.
#ifndef ONEM2M_COMMON_PG_POOL_H_
#define ONEM2M_COMMON_PG_POOL_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pqxx/connection"
#include "pqxx/transaction_base"

namespace onem2m {
namespace pg {

struct PoolOptions {
  // conninfo is a libpq connection string ("host=... port=... user=... dbname=... password=...").
  // Never echoed in errors.
  std::string conninfo;
  // max_size bounds the number of open connections.
  int max_size = 8;
  // connect_timeout bounds one connection attempt (libpq connect_timeout, whole seconds, >= 1).
  absl::Duration connect_timeout = absl::Seconds(5);
  // tcp_user_timeout (libpq tcp_user_timeout, Linux TCP_USER_TIMEOUT) closes a connection whose
  // sent data stays unacknowledged this long, so a query to a database that vanished from the
  // network (a black hole, not a refusal) fails instead of waiting for TCP's ~15 minutes. 0: off.
  absl::Duration tcp_user_timeout = absl::Seconds(10);
  // acquire_timeout bounds the wait for a free connection when all max_size are in use.
  absl::Duration acquire_timeout = absl::Seconds(10);
  // statement_timeout is set on each session so a stuck query frees its connection (0 = none).
  absl::Duration statement_timeout = absl::Seconds(30);
  // schema, if set, becomes the session's search_path (created by RunMigrations if missing). Lets
  // several services or tests share one database.
  std::string schema;
  // prepare lists (name, SQL) statements prepared on every new connection, for hot paths.
  std::vector<std::pair<std::string, std::string>> prepare;
  // application_name shows in pg_stat_activity.
  std::string application_name = "onem2m";
  // prefer_indexes sets enable_seqscan = off on each session. A prepared statement's generic plan
  // is made once per connection and kept; made while a table is nearly empty (a fresh deployment,
  // a new schema, the minutes before autovacuum's first ANALYZE) it is a sequential scan, and it
  // stays one as the table grows: every first contact then read the MAF's whole credentials table
  // (docs/performance.md, "Plans frozen on an empty table"). With the setting off, the planner
  // takes an index whenever one answers the query; a query no index serves still scans.
  bool prefer_indexes = true;
  // generic_plans sets plan_cache_mode = force_generic_plan on each session, so a prepared
  // statement is planned once per connection. Left to itself PostgreSQL re-plans the stores'
  // batched statements (`unnest($1::text[])` joined to a table) on nearly every execution, since
  // a custom plan that knows the batch's few keys always looks cheaper than the generic one's
  // guess of ten: planning cost more database CPU than executing (the MAF's read by KeID: 408 ms
  // of planning against 99 ms of execution for 7,660 first contacts). Every statement of the
  // stores looks rows up by key or pages by key, so one plan serves all parameter values; with
  // prefer_indexes that plan uses the index even when it was made on an empty table.
  bool generic_plans = true;
};

// AllowWholeTableScans turns sequential scans back on for the rest of transaction `t` (SET
// LOCAL; the session keeps PoolOptions::prefer_indexes afterwards). For the few statements that
// read whole tables on purpose (KEK rotation's counts and batches): with enable_seqscan off the
// planner still scans, but gives up parallel workers and hash aggregation, which made a count by
// version over a million rows 3.4 times slower (docs/performance.md, "Plans frozen on an empty
// table"). Call it before those statements, inside a transaction (not a pqxx::nontransaction,
// where SET LOCAL has no transaction to last for).
void AllowWholeTableScans(pqxx::transaction_base& t);

class ConnectionPool {
 public:
  // Create validates `options` and returns a pool. It does not connect: a service may start while
  // the database is down and become healthy once it is up.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(PoolOptions options);

  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Run lends a connection to `fn` and returns what `fn` returns. Any exception `fn` throws is
  // mapped by ToStatus with `what` naming the operation in the message ("create enrolee"), so the
  // stores need no try/catch of their own; if the connection is broken afterwards it is discarded.
  // `fn` must leave no transaction open. kUnavailable if no connection could be made or borrowed
  // in time.
  absl::Status Run(absl::string_view what,
                   const std::function<absl::Status(pqxx::connection&)>& fn);
  absl::Status Run(const std::function<absl::Status(pqxx::connection&)>& fn);  // what = "database"

  // RunRead is Run for idempotent work: on kUnavailable caused by a broken pooled connection it
  // retries once on a fresh connection.
  absl::Status RunRead(absl::string_view what,
                       const std::function<absl::Status(pqxx::connection&)>& fn);
  absl::Status RunRead(const std::function<absl::Status(pqxx::connection&)>& fn);

  // Ping runs "SELECT 1"; for health checks.
  absl::Status Ping();

  const PoolOptions& options() const { return options_; }

  // Stats for tests and metrics.
  int open_connections() const;
  int64_t connections_made() const;

 private:
  explicit ConnectionPool(PoolOptions options);

  // Acquire returns an idle connection or makes a new one if below max_size.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire(bool* out_fresh);
  // Release returns `conn` to the idle list, or closes it and all idle connections if broken.
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect();
  absl::Status RunOnce(absl::string_view what,
                       const std::function<absl::Status(pqxx::connection&)>& fn, bool* out_fresh);

  const PoolOptions options_;
  std::string full_conninfo_;  // options_.conninfo plus connect_timeout etc.

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + lent + being made
  int64_t made_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_POOL_H_
