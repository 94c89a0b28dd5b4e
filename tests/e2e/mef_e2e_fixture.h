// File: tests/e2e/mef_e2e_fixture.h
//
// MefE2eTest: the MEF's bootstrap path in-process against a real PostgreSQL (ONEM2M_TEST_PG; the
// test is skipped when unset), wired exactly as services/mef/mef_server.cc wires it (StartMef in
// in_process_mef.h: PgEnroleeStore + KpmResolver + EnrolmentSessionFactory + PskServer on
// 127.0.0.1:0). Each test gets its own schema (pg::TestSchema). Helpers seed enrolees with sealed
// Kpm, drive the Enrolee library (Options) or a raw TLS session (Handshake, Exchange), and check
// the server still serves (ExpectServing).
//
//   TEST_F(MefE2eTest, Something) {
//     SecretBytes kpm = AddEnrolee("dev-1");
//     auto r = enrolee::Bootstrap(Options("dev-1", kpm, tls::Transport::kTls));
//   }
#ifndef ONEM2M_TESTS_E2E_MEF_E2E_FIXTURE_H_
#define ONEM2M_TESTS_E2E_MEF_E2E_FIXTURE_H_

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mef/store/pg_enrolee_store.h"
#include "tests/e2e/in_process_mef.h"

namespace onem2m::e2e {

class MefE2eTest : public ::testing::Test {
 protected:
  MefE2eTest() : envelope_(crypto::Keyring::Generate(1)) {}

  void SetUp() override {
    if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
    auto schema = pg::TestSchema::Create();
    ASSERT_THAT(schema, ::onem2m::testing::IsOk());
    schema_ = *std::move(schema);
    pool_ = schema_->PoolOptionsFor();
    pool_.application_name = "e2e-" + schema_->name();
    mef_ = StartMef(pool_, &envelope_);
    ASSERT_NE(mef_, nullptr);
  }

  void TearDown() override { mef_.reset(); }

  // AddEnrolee creates an enrolee through the store with its Kpm sealed (AAD = kpm_id).
  SecretBytes AddEnrolee(const std::string& kpm_id,
                         mef::EnroleeState state = mef::EnroleeState::kActive,
                         std::optional<absl::Time> not_after = std::nullopt) {
    SecretBytes kpm = SecretBytes::Random(32);
    mef::Enrolee e;
    e.kpm_id = kpm_id;
    auto sealed = envelope_.Seal(kpm, kpm_id);
    EXPECT_THAT(sealed, ::onem2m::testing::IsOk());
    e.kpm = mef::SealedKey{*sealed, static_cast<int32_t>(envelope_.active_version())};
    e.enrolee_id = "C-" + kpm_id;
    e.maf_id = "maf.local";
    e.not_after = not_after;
    e.state = mef::EnroleeState::kActive;
    auto created = mef_->store->CreateEnrolee(e);
    EXPECT_THAT(created, ::onem2m::testing::IsOk());
    if (state != mef::EnroleeState::kActive) {
      EXPECT_THAT(mef_->store->SetState(kpm_id, state), ::onem2m::testing::IsOk());
    }
    return kpm;
  }

  enrolee::BootstrapOptions Options(const std::string& kpm_id, const SecretBytes& kpm,
                                    tls::Transport t) {
    enrolee::BootstrapOptions o;
    o.mef_host = "127.0.0.1";
    o.mef_port = t == tls::Transport::kTls ? mef_->tls_port : mef_->dtls_port;
    o.mef_fqdn = kFqdn;
    o.transport = t;
    o.kpm_id = kpm_id;
    o.kpm = SecretBytes::Copy(kpm.Reveal());
    o.attempt_timeout = absl::Seconds(15);
    return o;
  }

  // Handshake returns a client with an established TLS session.
  std::unique_ptr<tls::BlockingClient> Handshake(const std::string& kpm_id,
                                                 const SecretBytes& kpm) {
    tls::ClientOptions co;
    co.transport = tls::Transport::kTls;
    co.psk_identity = kpm_id;
    co.psk = SecretBytes::Copy(kpm.Reveal());
    co.server_name = kFqdn;
    auto ctx = tls::PskContext::NewClient(co);
    EXPECT_THAT(ctx, ::onem2m::testing::IsOk());
    auto c = tls::BlockingClient::Connect(*ctx, "127.0.0.1", mef_->tls_port,
                                          absl::Now() + absl::Seconds(15));
    EXPECT_THAT(c, ::onem2m::testing::IsOk());
    return c.ok() ? *std::move(c) : nullptr;
  }

  // Exchange writes raw HTTP and reads until the headers and Content-Length body are in (or close).
  std::string Exchange(tls::BlockingClient& c, const std::string& raw) {
    absl::Time deadline = absl::Now() + absl::Seconds(15);
    absl::Status w = c.Write(raw, deadline);
    std::string got;
    while (absl::Now() < deadline) {
      auto r = c.Read(65536, deadline);
      if (!r.ok() || r->empty()) break;
      got += *r;
      size_t hdr_end = got.find("\r\n\r\n");
      if (hdr_end != std::string::npos) {
        size_t cl = got.find("Content-Length:");
        if (cl == std::string::npos) cl = got.find("content-length:");
        if (cl != std::string::npos && cl < hdr_end) {
          size_t len = std::strtoul(got.c_str() + cl + 15, nullptr, 10);
          if (got.size() >= hdr_end + 4 + len) break;
        } else {
          break;
        }
      }
    }
    if (!w.ok() && got.empty()) return "WRITE_FAILED: " + w.ToString();
    return got;
  }

  void ExpectServing() {
    SecretBytes kpm = AddEnrolee(absl::StrCat("alive-", ++alive_));
    auto r = enrolee::Bootstrap(Options(absl::StrCat("alive-", alive_), kpm, tls::Transport::kTls));
    EXPECT_THAT(r, ::onem2m::testing::IsOk());
  }

  crypto::Envelope envelope_;
  std::unique_ptr<pg::TestSchema> schema_;  // first: dropped after the MEF closes
  pg::PoolOptions pool_;
  std::unique_ptr<Mef> mef_;
  int alive_ = 0;
};

// Refused reports whether `s` is how a refused handshake looks to the Enrolee: kUnauthenticated on
// both transports (over DTLS the server sends no alert; the client reports its unanswered Finished
// as a refused key).
inline bool Refused(const absl::Status& s, tls::Transport) {
  return s.code() == absl::StatusCode::kUnauthenticated;
}

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_MEF_E2E_FIXTURE_H_
