// File: tests/bench/maf_oracle_check_setup.h
//
// maf_oracle_check's devices and data: the known identities (a Ke at the MEF, its Km and KmID at
// the MAF), unknown ones of the same form, the rows of both stores, and the schemas they live in.
#ifndef ONEM2M_TESTS_BENCH_MAF_ORACLE_CHECK_SETUP_H_
#define ONEM2M_TESTS_BENCH_MAF_ORACLE_CHECK_SETUP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/crypto/envelope.h"
#include "common/pg/pool.h"
#include "common/secret_bytes.h"
#include "maf/store/maf_store.h"
#include "mef/store/enrolee_store.h"

namespace onem2m {
namespace oracle {

constexpr char kMafFqdn[] = "maf.local";
constexpr char kMefFqdn[] = "mef.local";

struct Device {
  std::string kpm_id, enrolee_id, ke_id, km_id;
  SecretBytes ke, km;
};

// PoolFor returns the pool options of one schema ("" for the default) under application `app`.
pg::PoolOptions PoolFor(const std::string& conninfo, const std::string& schema, const char* app);

// DropSchema drops `schema` and what it holds; failures are ignored (the schema is per run).
void DropSchema(const std::string& conninfo, const std::string& schema);

// MakeDevices makes `n` devices with random Ke (KeID at the MEF) and their Km / KmID for the MAF.
std::vector<Device> MakeDevices(int n);

// UnknownId returns a never-provisioned identity of the same form as the known ones.
std::string UnknownId(bool kmid);

// PopulateMef stores each device's enrolee and enrolment at the MEF.
absl::Status PopulateMef(mef::EnroleeStore* store, const std::vector<Device>& devices,
                         const crypto::Envelope& env);

// PopulateMaf stores each device's credential at the MAF, as a first contact would have.
absl::Status PopulateMaf(maf::MafStore* store, const std::vector<Device>& devices,
                         const crypto::Envelope& env);

}  // namespace oracle
}  // namespace onem2m

#endif  // ONEM2M_TESTS_BENCH_MAF_ORACLE_CHECK_SETUP_H_
