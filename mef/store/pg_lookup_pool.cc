#include "mef/store/pg_lookup_pool.h"

#include <algorithm>

#include "pqxx/except"

namespace onem2m::mef {

pg::PoolOptions LookupPoolOptions(const pg::PoolOptions& store, int connections,
                                  std::pair<std::string, std::string> statement) {
  pg::PoolOptions o = store;
  o.max_size = std::max(1, connections);
  o.prepare = {std::move(statement)};
  return o;
}

void UseGenericPlans(pqxx::connection& c) {
  constexpr const char* kName = "plan_cache_mode";
  constexpr const char* kGeneric = "force_generic_plan";
  try {
    if (c.get_variable(kName) != kGeneric) c.set_variable(kName, kGeneric);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const pqxx::sql_error&) {
    // An older server without the setting: the lookup still works, with PostgreSQL's own plans.
  }
}

}  // namespace onem2m::mef
