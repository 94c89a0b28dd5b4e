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
// connections of its own, on which only the lookup statement runs, whose sessions always reuse
// one generic plan (pg::PoolOptions::generic_plans, set with SET once per connection rather than
// as a libpq startup parameter, which a connection pooler may refuse: PgBouncer's
// ignore_startup_parameters; docs/operations.md). The store's main pool does the same by default
// (docs/performance.md, "Plans frozen on an empty table"); the lookup pool does it whatever the
// store's options say.
//
// The setting was first checked before every lookup (libpqxx get_variable, which answers from
// memory only for what its own set_variable set): once the pool set it at connect, that check
// became a `SHOW plan_cache_mode` round trip per batch. The pool's SET is the only place now.
//
//   pg::PoolOptions lookups = LookupPoolOptions(store_pool_options, /*connections=*/1,
//                                               {kGetEnrolees, kGetEnroleesSql});
//   pool->RunRead("get enrolee", [&](pqxx::connection& c) {
//     pqxx::nontransaction n(c);
//     ...
#ifndef ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_
#define ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_

#include <string>
#include <utility>

#include "common/pg/pool.h"

namespace onem2m::mef {

// LookupPoolOptions derives the lookup pool's options from the store's: same database, schema,
// timeouts and application name; at most `connections` connections (at least 1); `statement`
// (name, SQL) the one prepared statement; generic plans and index preference on.
pg::PoolOptions LookupPoolOptions(const pg::PoolOptions& store, int connections,
                                  std::pair<std::string, std::string> statement);

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_
