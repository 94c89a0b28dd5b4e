#include "common/ops/pool_metrics.h"

#include <prometheus/counter.h>
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
  // A counter (it only grows), advanced at scrape time by what the pool counted since the last one.
  prometheus::Counter& made =
      prometheus::BuildCounter()
          .Name("onem2m_store_pool_connections_made_total")
          .Help("PostgreSQL connections opened since start (re-connects after failures).")
          .Register(registry)
          .Add({});
  ops->AddScrapeHook([pool, &open, &made] {
    open.Set(pool->open_connections());
    const double now = static_cast<double>(pool->connections_made());
    if (now > made.Value()) made.Increment(now - made.Value());
  });
}

}  // namespace onem2m::ops
