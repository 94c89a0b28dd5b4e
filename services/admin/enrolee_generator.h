// File: services/admin/enrolee_generator.h
//
// GenerateEnroleeFile writes `count` random Enrolees (KpmID, fresh random Kpm, Enrolee-ID, MAF-ID)
// as an import CSV for load tests (`rsp_admin import gen`). The file holds every Kpm in hex: it is
// the device list as well as the MEF's import file, so it is created with mode 0600 and never
// overwrites an existing file. `kpm_out`, when set, additionally gets a device-side key list
// (`kpm_id,kpm_hex`), also 0600.
//
//   GenerateOptions o;
//   o.count = 100000;
//   o.maf_id = "maf.example.com";
//   absl::Status s = GenerateEnroleeFile(o, "enrolees.csv", "keys.csv");
#ifndef ONEM2M_SERVICES_ADMIN_ENROLEE_GENERATOR_H_
#define ONEM2M_SERVICES_ADMIN_ENROLEE_GENERATOR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace onem2m {
namespace admin {

struct GenerateOptions {
  uint64_t count = 1000;
  std::string maf_id;   // required (lower-case FQDN)
  std::string maf_uri;  // optional
  std::string kpm_id_prefix = "dev-";
  std::string enrolee_id_prefix = "C";  // Enrolee-ID = prefix + kpm_id
  int kpm_len = 32;                     // 16..64
  int64_t lifetime_seconds = 0;         // 0 = MEF default (empty column)
};

// GenerateEnroleeFile writes the import CSV to `out` and, if `kpm_out` is non-empty, the device
// key list. ALREADY_EXISTS if a target file exists; INVALID_ARGUMENT for bad options.
absl::Status GenerateEnroleeFile(const GenerateOptions& options, const std::string& out,
                                 const std::string& kpm_out);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_ENROLEE_GENERATOR_H_
