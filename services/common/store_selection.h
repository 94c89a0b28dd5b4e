// File: services/common/store_selection.h
//
// Both services keep their state in PostgreSQL (--store=pg, the default) or, for local runs only,
// in memory (--store=memory). ParseStoreSelection validates --store, --pg and --pg_pool_size;
// OpenStore opens the store chosen, waiting for PostgreSQL with ServiceSetup::WaitForDatabase.
//
//   StoreSelection selection = setup.Require(ParseStoreSelection(flags, "maf_server"));
//   OpenedStore<maf::MafStore> opened = OpenStore<maf::MafStore, maf::PgMafStore>(
//       setup, ops, signals, selection, "registrations are lost on exit; not for production",
//       [] { return maf::MemoryMafStore::Create(); },
//       [](const pg::PoolOptions& pool) { ...; return maf::PgMafStore::Create(o); });
//   if (opened.store == nullptr) return 0;  // SIGTERM while waiting for the database
#ifndef ONEM2M_SERVICES_COMMON_STORE_SELECTION_H_
#define ONEM2M_SERVICES_COMMON_STORE_SELECTION_H_

#include <signal.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/log/logger.h"
#include "common/ops/ops_server.h"
#include "common/pg/pool.h"
#include "services/common/option_error.h"
#include "services/common/service_setup.h"

namespace onem2m::services {

enum class StoreKind { kPg, kMemory };

// StoreFlags holds the raw values of --store, --pg and --pg_pool_size.
struct StoreFlags {
  std::string store = "pg";
  std::string pg;  // libpq connection string
  int pg_pool_size = 8;
};

// StoreSelection is a validated store choice; `pool` is meaningful for kPg only.
struct StoreSelection {
  StoreKind kind = StoreKind::kPg;
  pg::PoolOptions pool;  // conninfo, max_size and application_name from the flags
};

// ParseStoreSelection returns the store `flags` choose: "memory", or "pg" with a non-empty --pg
// (error naming "pg": "required with --store=pg"); any other --store is an error naming "store".
// `application_name` (the binary's name) shows in pg_stat_activity.
OptionOr<StoreSelection> ParseStoreSelection(const StoreFlags& flags,
                                             absl::string_view application_name);

// OpenedStore is what OpenStore returns: the store, and its PostgreSQL pool (for the pool gauges)
// or null for the memory store. `store` is null when start-up was stopped while waiting.
template <typename Store>
struct OpenedStore {
  std::unique_ptr<Store> store;
  const pg::ConnectionPool* pool = nullptr;
};

// OpenStore opens the store `selection` names. kMemory: logs the warning "memory_store" with
// `memory_note` and returns `open_memory()`. kPg: calls `open_pg(selection.pool)` through
// setup.WaitForDatabase (option "pg"), so start-up waits while PostgreSQL is unavailable and dies
// on any other error; returns a null store if SIGTERM or SIGINT arrived meanwhile (exit with 0).
// PgStore must derive from Store and have pool() returning its pg::ConnectionPool.
template <typename Store, typename PgStore>
OpenedStore<Store> OpenStore(
    const ServiceSetup& setup, ops::OpsServer& ops, const sigset_t& signals,
    const StoreSelection& selection, absl::string_view memory_note,
    const std::function<std::unique_ptr<Store>()>& open_memory,
    const std::function<absl::StatusOr<std::unique_ptr<PgStore>>(const pg::PoolOptions&)>&
        open_pg) {
  OpenedStore<Store> out;
  if (selection.kind == StoreKind::kMemory) {
    Log(Level::kWarning, "memory_store", {{"note", std::string(memory_note)}});
    out.store = open_memory();
    return out;
  }
  const bool opened = setup.WaitForDatabase(ops, signals, "pg", [&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<PgStore>> pg = open_pg(selection.pool);
    if (!pg.ok()) return pg.status();
    out.pool = &(*pg)->pool();
    out.store = *std::move(pg);
    return absl::OkStatus();
  });
  if (!opened) return OpenedStore<Store>{};
  return out;
}

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_STORE_SELECTION_H_
