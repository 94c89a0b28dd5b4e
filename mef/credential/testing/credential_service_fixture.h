// File: mef/credential/testing/credential_service_fixture.h
//
// The fixture the MefCredentialService tests share (credential_*_test.cc): the service on a real
// gRPC server with mutual TLS over the fake store, MemoryEnroleeStore or (when ONEM2M_TEST_PG is
// set) PgEnroleeStore in its own schema, with counting metrics and Ke opener, and the rows they
// create. Each test file derives its own suites from CredentialServiceFixture.
#ifndef ONEM2M_MEF_CREDENTIAL_TESTING_CREDENTIAL_SERVICE_FIXTURE_H_
#define ONEM2M_MEF_CREDENTIAL_TESTING_CREDENTIAL_SERVICE_FIXTURE_H_

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/log/logger.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/credential/testing/fake_enrolee_store.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace testing {

namespace v1 = ::onem2m::rsp::v1;

inline constexpr char kMef[] = "mef.example.com";
inline constexpr char kMaf[] = "maf.example.com";
inline constexpr char kOtherMaf[] = "maf2.example.com";

class CountingMetrics : public CredentialMetrics {
 public:
  void OnFetch(FetchOutcome outcome, absl::Duration) override {
    ++counts[static_cast<int>(outcome)];
  }
  std::atomic<int> counts[7] = {};
};

// CountingOpener is the production EnvelopeKeOpener, counting real and decoy openings.
class CountingOpener final : public KeOpener {
 public:
  explicit CountingOpener(const crypto::Envelope* envelope) : inner_(envelope) {}
  absl::StatusOr<SecretBytes> OpenKe(const SealedKey& sealed,
                                     absl::string_view ke_id) const override {
    ++opens;
    return inner_.OpenKe(sealed, ke_id);
  }
  absl::StatusOr<SecretBytes> OpenDecoyKe() const override {
    absl::StatusOr<SecretBytes> ke = inner_.OpenDecoyKe();
    if (ke.ok() && ke->size() == 32) ++decoy_opens;
    return ke;
  }
  mutable std::atomic<int> opens{0};
  mutable std::atomic<int> decoy_opens{0};  // successful ones

 private:
  EnvelopeKeOpener inner_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// CredentialServiceFixture serves MefCredentialServiceImpl on 127.0.0.1:0 with mutual TLS over the
// store named by the test parameter ("fake", "memory", or "pg": skipped without ONEM2M_TEST_PG), on
// a FakeClock standing at now_, auditing to a file of the test's own.
class CredentialServiceFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "fake") {
      auto fake = std::make_unique<FakeEnroleeStore>();
      fake_ = fake.get();
      store_ = std::move(fake);
    } else if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryEnroleeStore>();
    } else {
      if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
      auto schema = pg::TestSchema::Create();
      ASSERT_TRUE(schema.ok()) << schema.status();
      schema_ = *std::move(schema);
      PgEnroleeStoreOptions o;
      o.pool = schema_->PoolOptionsFor();
      o.pool.max_size = 4;
      auto store = PgEnroleeStore::Create(o);
      ASSERT_TRUE(store.ok()) << store.status();
      store_ = *std::move(store);
    }
    audit_path_ = absl::StrCat(
        ::onem2m::testing::TempDir(), "/audit-",
        absl::StrReplaceAll(::testing::UnitTest::GetInstance()->current_test_info()->name(),
                            {{"/", "-"}}),
        ".log");
    std::remove(audit_path_.c_str());
    ASSERT_TRUE(SetAuditPath(audit_path_));
    env_ = std::make_unique<::onem2m::testing::MtlsEnv>(::onem2m::testing::TempDir());
    envelope_ = std::make_unique<crypto::Envelope>(crypto::Keyring::Generate(1));
    opener_ = std::make_unique<CountingOpener>(envelope_.get());
    MefCredentialServiceImpl::Options opts;
    opts.clock = &clock_;
    opts.metrics = &metrics_;
    auto service = MefCredentialServiceImpl::Create(store_.get(), opener_.get(), opts);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", env_->ServerCredentials(), &port_);
    service_->Register(&b);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    service_->Start();
  }

  void TearDown() override {
    if (service_ != nullptr) service_->Shutdown();
    if (server_ != nullptr) server_->Shutdown();
    if (service_ != nullptr) service_->Stop();
    server_.reset();
    SetAuditPath("-");
  }

  // AddEnrolee creates an enrolee for `maf_id` in `state` (moving through the store's API).
  void AddEnrolee(const std::string& kpm_id, const std::string& maf_id,
                  std::optional<absl::Time> not_after = std::nullopt) {
    Enrolee e;
    e.kpm_id = kpm_id;
    e.kpm = SealedKey{"sealed-kpm-not-used-here", 1};
    e.enrolee_id = "C" + kpm_id;
    e.maf_id = maf_id;
    e.not_after = not_after;
    ASSERT_TRUE(store_->CreateEnrolee(e).ok());
  }

  // AddEnrolment seals `ke` exactly as the MEF's bootstrap does (AAD = canonical KeID) and stores
  // the enrolment; returns the KeID.
  std::string AddEnrolment(const std::string& kpm_id, const std::string& maf_id,
                           const SecretBytes& ke, absl::Time expires_at, std::string ke_id = "") {
    if (ke_id.empty()) {
      ke_id = *crypto::FormatKeyId(SecretBytes::Random(16).Reveal(), kMef);
    }
    Enrolment m;
    m.ke_id = *crypto::KeyId::Parse(ke_id);
    m.kpm_id = kpm_id;
    m.ke =
        SealedKey{*envelope_->Seal(ke, ke_id), static_cast<int32_t>(envelope_->active_version())};
    m.enrolee_id = "C" + kpm_id;
    m.maf_id = maf_id;
    m.expires_at = expires_at;
    EXPECT_TRUE(store_->RecordEnrolment(m).ok());
    return ke_id;
  }

  grpc::Status Fetch(const std::string& caller, const std::string& ke_id, uint32_t suid,
                     v1::FetchCredentialResponse* out, const std::string& target = "") {
    auto stub = v1::MefCredentialService::NewStub(env_->Channel(port_, caller));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::FetchCredentialRequest req;
    req.set_ke_id(ke_id);
    req.set_suid(suid);
    req.set_enrolment_target_id(target);
    return stub->FetchCredential(&ctx, req, out);
  }

  std::unique_ptr<pg::TestSchema> schema_;
  std::unique_ptr<EnroleeStore> store_;
  FakeEnroleeStore* fake_ = nullptr;
  std::string audit_path_;
  std::unique_ptr<::onem2m::testing::MtlsEnv> env_;
  std::unique_ptr<crypto::Envelope> envelope_;
  std::unique_ptr<CountingOpener> opener_;
  CountingMetrics metrics_;
  absl::Time now_ = absl::Now();
  FakeClock clock_{now_};  // stands still at now_
  std::unique_ptr<MefCredentialServiceImpl> service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_TESTING_CREDENTIAL_SERVICE_FIXTURE_H_
