#include "common/ops/pool_metrics.h"

#include <prometheus/gauge.h>

namespace onem2m::ops {

void RegisterPoolMetrics(prometheus::Registry& registry, OpsServer* ops,
                         const pg::ConnectionPool* pool) {
  auto& family = prometheus::BuildGauge()
                     .Name("onem2m_store_pool_connections")
                     .Help("PostgreSQL pool connections: open now, and the configured maximum.")
                     .Register(registry);
  prometheus::Gauge& open = family.Add({{"state", "open"}});
  family.Add({{"state", "max"}}).Set(pool->options().max_size);
  prometheus::Gauge& made =
      prometheus::BuildGauge()
          .Name("onem2m_store_pool_connections_made")
          .Help("PostgreSQL connections opened since start (re-connects after failures).")
          .Register(registry)
          .Add({});
  ops->AddScrapeHook([pool, &open, &made] {
    open.Set(pool->open_connections());
    made.Set(static_cast<double>(pool->connections_made()));
  });
}

}  // namespace onem2m::ops
