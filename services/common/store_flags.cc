#include "services/common/store_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, store, "pg",
          "Store: 'pg' (PostgreSQL, default) or 'memory' (local runs only: state is lost on "
          "exit).");
ABSL_FLAG(std::string, pg, "", "libpq connection string for --store=pg.");
ABSL_FLAG(int, pg_pool_size, 8,
          "PostgreSQL connections in the pool (the MEF's PSK lookup holds one more of its own).");
ABSL_FLAG(absl::Duration, pg_write_linger, absl::Milliseconds(3),
          "Under load, the longest the group commit waits for more rows before it writes a small "
          "batch (fewer, larger transactions; 0 never waits; docs/operations.md, \"Scale\").");
ABSL_FLAG(int, pg_write_linger_items, 32,
          "A group-commit batch this large is written without lingering.");
ABSL_FLAG(absl::Duration, pg_write_linger_gap, absl::Microseconds(400),
          "A lingering group-commit batch is written once no new row has arrived for this long "
          "(0: only --pg_write_linger and --pg_write_linger_items end the wait).");
ABSL_FLAG(
    int, pg_write_linger_busy_sessions, onem2m::services::kLingerBusySessions,
    "With at least this many TLS/DTLS sessions open, a lingering group-commit batch "
    "ignores --pg_write_linger_gap: more rows are likely to come (0: the gap always applies).");

namespace onem2m::services {

StoreFlags StoreFlagsFromCommandLine() {
  return StoreFlags{absl::GetFlag(FLAGS_store), absl::GetFlag(FLAGS_pg),
                    absl::GetFlag(FLAGS_pg_pool_size)};
}

pg::LingerOptions WriteLingerFromFlags(std::shared_ptr<const OpenSessions> sessions) {
  pg::LingerOptions linger = pg::WriteLinger();
  linger.wait = absl::GetFlag(FLAGS_pg_write_linger);
  linger.items = absl::GetFlag(FLAGS_pg_write_linger_items);
  linger.gap = absl::GetFlag(FLAGS_pg_write_linger_gap);
  const int busy = absl::GetFlag(FLAGS_pg_write_linger_busy_sessions);
  if (sessions != nullptr && busy > 0) {
    linger.busy = LingerBusyAt(std::move(sessions), busy);
  }
  return linger;
}

}  // namespace onem2m::services
