// File: common/ops/pool_metrics.h
//
// RegisterPoolMetrics exports a PostgreSQL pool's gauges, refreshed on every scrape:
//   onem2m_store_pool_connections{state="open"|"max"}
//   onem2m_store_pool_connections_made_total   (counter: connections opened since start; climbs on reconnects)
#ifndef ONEM2M_COMMON_OPS_POOL_METRICS_H_
#define ONEM2M_COMMON_OPS_POOL_METRICS_H_

#include <prometheus/registry.h>

#include "common/ops/ops_server.h"
#include "common/pg/pool.h"

namespace onem2m::ops {

// `ops` and `pool` must outlive the registry's use.
void RegisterPoolMetrics(prometheus::Registry& registry, OpsServer* ops,
                         const pg::ConnectionPool* pool);

}  // namespace onem2m::ops

#endif  // ONEM2M_COMMON_OPS_POOL_METRICS_H_
