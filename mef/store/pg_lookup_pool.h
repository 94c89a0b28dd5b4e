// File: mef/store/pg_lookup_pool.h
//
// The PSK lookup's own connections. PostgreSQL plans a prepared statement afresh on every
// execution while it judges a custom plan cheaper than the generic one, and for the lookup's
// `unnest($1::text[]) LEFT JOIN enrolees` it always does: the generic plan assumes 10 keys, a
// custom one the batch's few. Measured on this project's VM (docs/performance.md, "mefperf16"):
// 0 generic plans in 12 executions, and 55-90 µs of backend CPU per 5-key read with the generic
// plan against 148-280 µs planning each time. Both plans are the same (a nested loop over the keys
// with one primary-key probe each, for a known and an unknown KpmID alike), so the lookup runs on
// connections whose sessions set plan_cache_mode = force_generic_plan. Only the lookup statement
// runs on them: the store's other statements (paged lists with LIMIT parameters among them) keep
// PostgreSQL's own choice on the main pool.
//
//   pg::PoolOptions lookups = LookupPoolOptions(store_pool_options, /*connections=*/1,
//                                               {kGetEnrolees, kGetEnroleesSql});
#ifndef ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_
#define ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/pg/pool.h"

namespace onem2m::mef {

// WithSessionSetting returns `conninfo` with libpq's `options` parameter set to
// "-c name=value", in keyword form ("host=... options='-c name=value'") or URI form
// ("postgresql://...?options=-c%20name%3Dvalue"). A conninfo that sets `options` itself is
// returned unchanged (libpq would let one replace the other): the operator's options win and the
// setting is left to the server's default. `name` and `value` are identifiers (letters, digits,
// '_'), not checked here.
std::string WithSessionSetting(const std::string& conninfo, absl::string_view name,
                               absl::string_view value);

// LookupPoolOptions derives the lookup pool's options from the store's: same database, schema,
// timeouts and application name; at most `connections` connections; `statement` (name, SQL) the
// one prepared statement; plan_cache_mode = force_generic_plan on each session.
pg::PoolOptions LookupPoolOptions(const pg::PoolOptions& store, int connections,
                                  std::pair<std::string, std::string> statement);

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_STORE_PG_LOOKUP_POOL_H_
