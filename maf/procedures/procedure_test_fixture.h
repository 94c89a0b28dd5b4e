// File: maf/procedures/procedure_test_fixture.h
//
// ProcedureTest: a memory store on a movable clock, a fresh envelope, and helpers that make MAF
// sessions the way the server would after a handshake (credential stored, KmID derived), with a
// deterministic fake exporter.
//
//   TEST_F(ProcedureTest, Something) {
//     MafSession s = NewSession(1, "C-dev1");
//     ...
//   }
#ifndef ONEM2M_MAF_PROCEDURES_PROCEDURE_TEST_FIXTURE_H_
#define ONEM2M_MAF_PROCEDURES_PROCEDURE_TEST_FIXTURE_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "maf/procedures/maf_session.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {

class ProcedureTest : public ::testing::Test {
 protected:
  static constexpr char kMaf[] = "maf.example.com";
  static constexpr char kMef[] = "mef.example.com";

  ProcedureTest() {
    ctx_.store = store_.get();
    ctx_.envelope = &envelope_;
    ctx_.clock = &clock_;
    ctx_.maf_fqdn = kMaf;
  }

  // ExportFor returns the 48 bytes the fake exporter of session `i` yields.
  static SecretBytes ExportFor(int i) {
    std::string b(48, static_cast<char>(0x40 + i));
    b[0] = static_cast<char>(i);
    return SecretBytes::Copy(b);
  }

  // NewSession stores a credential for device `i` (Km valid for `life`) and returns its session.
  MafSession NewSession(int i, const std::string& enrolee_id,
                        absl::Duration life = absl::Hours(24)) {
    SecretBytes km = SecretBytes::Copy(std::string(32, static_cast<char>(i)));
    MafCredential c;
    c.km_id = *crypto::KeyId::Parse(*crypto::DeriveKmId(km, kMaf));
    std::string rel(16, 'E');
    rel[15] = static_cast<char>(i);
    c.ke_id = *crypto::KeyId::FromParts(rel, kMef);
    c.km = SealedKey{*envelope_.Seal(km, c.km_id.ToString()), 1};
    c.enrolee_id = enrolee_id;
    c.mef_fqdn = kMef;
    c.expires_at = Now() + life;
    EXPECT_THAT(store_->PutCredential(c), ::onem2m::testing::IsOk());
    MafSession s;
    s.km_id = c.km_id;
    s.enrolee_id = enrolee_id;
    s.km_expires_at = absl::FromUnixMicros(absl::ToUnixMicros(c.expires_at));
    s.export_keying_material = [i](absl::string_view label,
                                   size_t len) -> absl::StatusOr<SecretBytes> {
      if (label != crypto::kConnectionExporterLabel || len != 48) {
        return absl::InvalidArgumentError("unexpected export");
      }
      return ExportFor(i);
    };
    return s;
  }

  absl::Time Now() { return clock_.Now(); }
  void Advance(absl::Duration d) { clock_.Advance(d); }

  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::unique_ptr<MemoryMafStore> store_ = MemoryMafStore::Create(&clock_);
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  ProcedureContext ctx_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_PROCEDURE_TEST_FIXTURE_H_
