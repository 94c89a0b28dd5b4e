// End-to-end tests of the MEF's bootstrap path against a real PostgreSQL (ONEM2M_TEST_PG; skipped
// when unset), with the MEF in-process (mef_e2e_fixture.h): answers are durable the moment they
// arrive over TLS and DTLS, every refusal (wrong key, unknown, disabled, expired) looks the same,
// and enrolments survive a restart.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "enrolee/bootstrap_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/mef_e2e_fixture.h"

namespace onem2m {
namespace {

using e2e::kFqdn;
using e2e::MefE2eTest;
using e2e::Refused;
using e2e::StartMef;
using ::onem2m::testing::IsOk;

TEST_F(MefE2eTest, BootstrapOverTlsAndDtlsIsDurableWhenAnswered) {
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    const std::string id = t == tls::Transport::kTls ? "dev-tls" : "dev-dtls";
    SecretBytes kpm = AddEnrolee(id);
    auto r = enrolee::Bootstrap(Options(id, kpm, t));
    ASSERT_THAT(r, IsOk());
    // bootstrap_client already checks the answer's KeID equals the locally exported one (else
    // kDataLoss); check its shape here.
    EXPECT_TRUE(absl::EndsWith(r->ke_id, std::string("@") + kFqdn)) << r->ke_id;
    EXPECT_EQ(r->ke_id.size(), 32 + 1 + strlen(kFqdn));
    EXPECT_EQ(r->ke.size(), 32u);
    EXPECT_EQ(r->enrolee_id, "C-" + id);
    EXPECT_EQ(r->maf_id, "maf.local");
    // The row must be there the moment the answer arrived.
    auto view = mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id));
    ASSERT_THAT(view, IsOk());
    EXPECT_EQ(view->enrolment.kpm_id, id);
    EXPECT_EQ(view->enrolment.transport,
              t == tls::Transport::kTls ? mef::Transport::kTls : mef::Transport::kDtls);
    // Ke at rest is sealed and opens (AAD = KeID) to the Ke the Enrolee derived.
    auto ke = envelope_.Open(view->enrolment.ke.ciphertext, r->ke_id);
    if (ke.ok()) {
      EXPECT_TRUE(ke->Equals(r->ke));
    }
  }
}

TEST_F(MefE2eTest, WrongKeyUnknownDisabledExpiredAllFailAlike) {
  SecretBytes good = AddEnrolee("good");
  AddEnrolee("disabled", mef::EnroleeState::kDisabled);
  SecretBytes expired_kpm =
      AddEnrolee("expired", mef::EnroleeState::kActive, absl::Now() - absl::Hours(1));
  SecretBytes disabled_kpm;  // irrelevant: any key
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    struct Case {
      std::string id;
      SecretBytes key;
    };
    std::vector<Case> cases;
    cases.push_back({"good", SecretBytes::Random(32)});                     // wrong key
    cases.push_back({"nobody", SecretBytes::Random(32)});                   // unknown KpmID
    cases.push_back({"disabled", SecretBytes::Random(32)});                 // disabled
    cases.push_back({"expired", SecretBytes::Copy(expired_kpm.Reveal())});  // right key, expired
    std::vector<absl::StatusCode> codes;
    for (const Case& c : cases) {
      auto o = Options(c.id, c.key, t);
      o.attempt_timeout = absl::Seconds(5);
      auto r = enrolee::Bootstrap(o);
      EXPECT_TRUE(Refused(r.status(), t))
          << c.id << " over " << tls::TransportName(t) << ": " << r.status();
      codes.push_back(r.status().code());
    }
    for (absl::StatusCode code : codes) EXPECT_EQ(code, codes[0]) << "refusals differ";
  }
  // The disabled one with its right key fails too: re-key through the store to know it.
  SecretBytes k = SecretBytes::Random(32);
  auto sealed = envelope_.Seal(k, "disabled");
  ASSERT_THAT(sealed, IsOk());
  ASSERT_THAT(mef_->store->RotateKpm("disabled", mef::SealedKey{*sealed, 1}), IsOk());
  auto r = enrolee::Bootstrap(Options("disabled", k, tls::Transport::kTls));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  auto list = mef_->store->ListEnrolments(mef::ListEnrolmentsRequest{});
  ASSERT_THAT(list, IsOk());
  EXPECT_TRUE(list->enrolments.empty());
  // The good one still works.
  EXPECT_THAT(enrolee::Bootstrap(Options("good", good, tls::Transport::kDtls)), IsOk());
}

TEST_F(MefE2eTest, RestartKeepsEnrolments) {
  std::vector<std::string> ke_ids;
  for (int i = 0; i < 3; ++i) {
    std::string id = absl::StrCat("persist-", i);
    SecretBytes kpm = AddEnrolee(id);
    auto r =
        enrolee::Bootstrap(Options(id, kpm, i % 2 ? tls::Transport::kDtls : tls::Transport::kTls));
    ASSERT_THAT(r, IsOk());
    ke_ids.push_back(r->ke_id);
  }
  mef_.reset();
  mef_ = StartMef(pool_, &envelope_);
  ASSERT_NE(mef_, nullptr);
  for (const std::string& k : ke_ids) {
    auto v = mef_->store->GetEnrolmentByKeId(*crypto::KeyId::Parse(k));
    EXPECT_THAT(v, IsOk()) << k << ": " << v.status();
  }
  ExpectServing();
}

}  // namespace
}  // namespace onem2m
