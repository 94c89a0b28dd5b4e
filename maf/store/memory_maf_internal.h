// File: maf/store/memory_maf_internal.h
//
// Helpers shared by MemoryMafStore's files (memory_maf_store.cc: credentials;
// memory_maf_clients.cc; memory_maf_keys.cc: keys and KEK rewrap; memory_maf_credentials.cc: the
// admin view). Internal to maf/store.
#ifndef ONEM2M_MAF_STORE_MEMORY_MAF_INTERNAL_H_
#define ONEM2M_MAF_STORE_MEMORY_MAF_INTERNAL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "maf/store/maf_store.h"

namespace onem2m::maf::memory_internal {

// Micros keeps the memory store's times identical to what PostgreSQL's timestamptz returns.
inline absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

inline absl::Status NoKey() { return absl::NotFoundError("no such key"); }

// StateTag is a list filter's state in its page token.
inline std::string StateTag(const std::optional<EffectiveState>& s) {
  return s.has_value() ? absl::StrCat(static_cast<int>(*s)) : "-";
}

}  // namespace onem2m::maf::memory_internal

#endif  // ONEM2M_MAF_STORE_MEMORY_MAF_INTERNAL_H_
