// File: services/common/store_flags.h
//
// The store flags both services take, defined once: --store, --pg, --pg_pool_size (read by
// ParseStoreSelection, store_selection.h) and the group commit's --pg_write_linger and
// --pg_write_linger_items (docs/operations.md, "Scale"). A binary that links this library has
// them.
//
//   StoreSelection selection = setup.Require(ParseStoreSelection(StoreFlagsFromCommandLine(), ..));
//   po.writes.linger = WriteLingerFromFlags();
#ifndef ONEM2M_SERVICES_COMMON_STORE_FLAGS_H_
#define ONEM2M_SERVICES_COMMON_STORE_FLAGS_H_

#include "common/pg/linger.h"
#include "services/common/store_selection.h"

namespace onem2m::services {

// StoreFlagsFromCommandLine returns --store, --pg and --pg_pool_size as given.
StoreFlags StoreFlagsFromCommandLine();

// WriteLingerFromFlags returns pg::WriteLinger() with --pg_write_linger,
// --pg_write_linger_items and --pg_write_linger_gap applied.
pg::LingerOptions WriteLingerFromFlags();

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_STORE_FLAGS_H_
