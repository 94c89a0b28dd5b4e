// File: services/common/store_flags.h
//
// The store flags both services take, defined once: --store, --pg, --pg_pool_size (read by
// ParseStoreSelection, store_selection.h) and the group commit's --pg_write_linger,
// --pg_write_linger_items, --pg_write_linger_gap and --pg_write_linger_busy_sessions
// (docs/operations.md, "Scale"). A binary that links this library has them.
//
//   StoreSelection selection = setup.Require(ParseStoreSelection(StoreFlagsFromCommandLine(), ..));
//   auto sessions = std::make_shared<OpenSessions>();
//   po.writes.linger = WriteLingerFromFlags(sessions);
//   ... start the server, then sessions->Attach([&] { return server.open_sessions(); });
//   ... and sessions->Attach(nullptr) before the server shuts down.
#ifndef ONEM2M_SERVICES_COMMON_STORE_FLAGS_H_
#define ONEM2M_SERVICES_COMMON_STORE_FLAGS_H_

#include <memory>

#include "common/pg/linger.h"
#include "services/common/open_sessions.h"
#include "services/common/store_selection.h"

namespace onem2m::services {

// StoreFlagsFromCommandLine returns --store, --pg and --pg_pool_size as given.
StoreFlags StoreFlagsFromCommandLine();

// WriteLingerFromFlags returns pg::WriteLinger() with --pg_write_linger,
// --pg_write_linger_items and --pg_write_linger_gap applied; with `sessions` and
// --pg_write_linger_busy_sessions above 0, a linger that starts while the server holds at least
// that many sessions ignores the gap.
pg::LingerOptions WriteLingerFromFlags(std::shared_ptr<const OpenSessions> sessions = nullptr);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_STORE_FLAGS_H_
