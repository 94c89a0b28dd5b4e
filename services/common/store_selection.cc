#include "services/common/store_selection.h"

namespace onem2m::services {

OptionOr<StoreSelection> ParseStoreSelection(const StoreFlags& flags,
                                             absl::string_view application_name) {
  StoreSelection out;
  if (flags.store == "memory") {
    out.kind = StoreKind::kMemory;
    return out;
  }
  if (flags.store != "pg") {
    return OptionError{"store", absl::InvalidArgumentError("must be 'pg' or 'memory'")};
  }
  if (flags.pg.empty()) {
    return OptionError{"pg", absl::InvalidArgumentError("required with --store=pg")};
  }
  out.kind = StoreKind::kPg;
  out.pool.conninfo = flags.pg;
  out.pool.max_size = flags.pg_pool_size;
  out.pool.application_name = std::string(application_name);
  return out;
}

}  // namespace onem2m::services
