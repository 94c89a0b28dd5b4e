// File: mef/store/enrolee_store_test_fixture.h
//
// What the EnroleeStore suites share (enrolee_store_test.cc: enrolees, grants, deletion;
// enrolment_store_test.cc: enrolments, the change feed, KEK rewrap; pg_enrolee_store_test.cc:
// PostgreSQL only): row builders, KeIDs named by short labels, and the fixture that runs a suite
// against MemoryEnroleeStore always and PgEnroleeStore when ONEM2M_TEST_PG is set (each test in its
// own schema, so tests may run in parallel).
#ifndef ONEM2M_MEF_STORE_ENROLEE_STORE_TEST_FIXTURE_H_
#define ONEM2M_MEF_STORE_ENROLEE_STORE_TEST_FIXTURE_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/crypto/key_id.h"
#include "common/pg/test_schema.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m {
namespace mef {

// TestKeId names a KeID of mef.example.com by a label of at most 16 bytes: its relative id is the
// label padded with NULs, so KeIDs sort as their labels do. "" gives the empty KeyId.
inline crypto::KeyId TestKeId(absl::string_view label) {
  if (label.empty()) return crypto::KeyId();
  std::string relative_id(label);
  relative_id.resize(crypto::kRelativeIdLen, '\0');
  return *crypto::KeyId::FromParts(relative_id, "mef.example.com");
}

inline Enrolee MakeEnrolee(const std::string& kpm_id) {
  Enrolee e;
  e.kpm_id = kpm_id;
  e.kpm = SealedKey{std::string("\x00\x01sealed\xff", 9) + kpm_id, 1};
  e.enrolee_id = "C" + kpm_id;
  e.maf_id = "maf.example.com";
  e.enrolment_lifetime = absl::Hours(24);
  return e;
}

// MakeEnrolment builds the enrolment TestKeId(`ke_label`) of `kpm_id`; its sealed Ke ends with the
// label.
inline Enrolment MakeEnrolment(const std::string& kpm_id, const std::string& ke_label) {
  Enrolment e;
  e.ke_id = TestKeId(ke_label);
  e.kpm_id = kpm_id;
  e.ke = SealedKey{std::string("\x00ke-blob\xfe", 9) + ke_label, 2};
  e.enrolee_id = "C" + kpm_id;
  e.maf_id = "maf.example.com";
  e.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now() + absl::Hours(24)));
  e.transport = Transport::kDtls;
  e.peer_address = "192.0.2.1:5684";
  return e;
}

// EnroleeStoreTest's parameter is "memory" or "pg".
class EnroleeStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryEnroleeStore>();
      return;
    }
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, ::onem2m::testing::IsOk());
    schema_ = *std::move(schema);
    PgEnroleeStoreOptions o;
    o.pool = schema_->PoolOptionsFor();
    o.pool.application_name = "mef-" + schema_->name();
    o.pool.max_size = 4;
    auto store = PgEnroleeStore::Create(o);
    ASSERT_THAT(store, ::onem2m::testing::IsOk());
    pg_store_ = store->get();
    store_ = *std::move(store);
  }

  bool IsPg() const { return GetParam() == "pg"; }

  std::unique_ptr<pg::TestSchema> schema_;  // declared first: dropped after the store closes
  std::unique_ptr<EnroleeStore> store_;
  PgEnroleeStore* pg_store_ = nullptr;
};

// INSTANTIATE_ENROLEE_STORE_TEST runs a file's EnroleeStoreTest cases against both stores.
#define INSTANTIATE_ENROLEE_STORE_TEST()                                                \
  INSTANTIATE_TEST_SUITE_P(Stores, EnroleeStoreTest, ::testing::Values("memory", "pg"), \
                           [](const auto& info) { return info.param; })

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_STORE_ENROLEE_STORE_TEST_FIXTURE_H_
