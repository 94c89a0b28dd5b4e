// File: mef/store/pg_lookup_pool.h
//
// The PSK lookup's own connections. PostgreSQL plans a prepared statement afresh on every
// execution while it judges a custom plan cheaper than the generic one, and for the lookup's
// `unnest($1::text[]) LEFT JOIN enrolees` it always does: the generic plan assumes 10 keys, a
// custom one the batch's few. Measured on this project's VM (docs/performance.md, "mefperf16"):
// 0 generic plans in 12 executions; back to back, 55-90 µs of backend CPU per 5-key read with the
// generic plan against 148-280 µs when planned each time (under the MEF's load, about 11 % of
// that backend's CPU went to planning). Both plans are the same (a nested loop over the keys
// with one primary-key probe each, for a known and an unknown KpmID alike), so the lookup runs on
// connections of its own whose sessions set plan_cache_mode = force_generic_plan (PostgreSQL 12
// or later). Only the lookup statement runs on them: the store's other statements (paged lists
// with LIMIT parameters among them) keep PostgreSQL's own choice on the main pool.
//
// The setting is made with SET on the session, once per connection, rather than as a startup
// parameter (libpq `options`), which a connection pooler may refuse (PgBouncer's
// ignore_startup_parameters; docs/operations.md recommends one at scale).
//
//   pg::PoolOptions lookups = LookupPoolOptions(store_pool_options, /*connections=*/1,
//                                               {kGetEnrolees, kGetEnroleesSql});
//   pool->RunRead("get enrolee", [&](pqxx::connection& c) {
//     UseGenericPlans(c);
//     pqxx::nontransaction n(c);
//     ...
#ifndef ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_
#define ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_

#include <string>
#include <utility>

#include "common/pg/pool.h"
#include "pqxx/connection"

namespace onem2m::mef {

// LookupPoolOptions derives the lookup pool's options from the store's: same database, schema,
// timeouts and application name; at most `connections` connections (at least 1); `statement`
// (name, SQL) the one prepared statement.
pg::PoolOptions LookupPoolOptions(const pg::PoolOptions& store, int connections,
                                  std::pair<std::string, std::string> statement);

// UseGenericPlans sets plan_cache_mode = force_generic_plan on `c`'s session unless it is set
// already: libpqxx remembers what set_variable set, so after a connection's first use this costs
// no round trip. Call it outside any transaction. A lost connection throws as any statement would
// (the pool replaces the connection); a server that refuses the setting leaves the plans to it.
void UseGenericPlans(pqxx::connection& c);

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_
