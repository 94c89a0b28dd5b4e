#include "mef/store/pg_lookup_pool.h"

#include <algorithm>

namespace onem2m::mef {

pg::PoolOptions LookupPoolOptions(const pg::PoolOptions& store, int connections,
                                  std::pair<std::string, std::string> statement) {
  pg::PoolOptions o = store;
  o.max_size = std::max(1, connections);
  o.prepare = {std::move(statement)};
  o.generic_plans = true;
  o.prefer_indexes = true;
  return o;
}

}  // namespace onem2m::mef
