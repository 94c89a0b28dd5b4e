// End-to-end tests of MefCredentialServiceImpl and the MAF-side client over a real gRPC server on
// 127.0.0.1:0 with mutual TLS, against the fake store, MemoryEnroleeStore and (when ONEM2M_TEST_PG
// is set) PgEnroleeStore in its own schema.
#include "mef/credential/credential_service.h"

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/crypto/test_vectors.h"
#include "common/log/logger.h"
#include "common/pg/test_schema.h"
#include "common/testing/mtls_env.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/credential/testing/fake_enrolee_store.h"
#include "mef/store/forwarding_enrolee_store.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;

constexpr char kMef[] = "mef.example.com";
constexpr char kMaf[] = "maf.example.com";
constexpr char kOtherMaf[] = "maf2.example.com";

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

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CredentialServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "fake") {
      auto fake = std::make_unique<testing::FakeEnroleeStore>();
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
  testing::FakeEnroleeStore* fake_ = nullptr;
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

TEST_P(CredentialServiceTest, FetchReturnsKmDerivedForTheMaf) {
  AddEnrolee("dev-1", kMaf);
  SecretBytes ke = SecretBytes::Random(32);
  const std::string ke_id = AddEnrolment("dev-1", kMaf, ke, now_ + absl::Hours(1));
  v1::FetchCredentialResponse out;
  // Lower-case hex is accepted; the answer carries the canonical form.
  grpc::Status s = Fetch(kMaf, absl::AsciiStrToLower(ke_id), 21, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  absl::StatusOr<SecretBytes> want = crypto::DeriveKm(ke, kMaf);
  ASSERT_TRUE(want.ok());
  EXPECT_TRUE(SecretBytes::Copy(out.km()).Equals(*want));
  EXPECT_EQ(out.enrolee_id(), "Cdev-1");
  EXPECT_EQ(out.maf_id(), kMaf);
  EXPECT_EQ(out.ke_id(), ke_id);
  EXPECT_EQ(out.expires_at().seconds(), absl::ToUnixSeconds(now_ + absl::Hours(1)));
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kOk)], 1);
  const std::string audit = ReadAll(audit_path_);
  EXPECT_NE(audit.find("\"outcome\":\"ok\""), std::string::npos) << audit;
  EXPECT_EQ(audit.find(crypto::HexUpper(want->Reveal())), std::string::npos);
  EXPECT_EQ(audit.find(absl::AsciiStrToLower(crypto::HexUpper(ke.Reveal()))), std::string::npos);
}

TEST_P(CredentialServiceTest, ExpiryIsTheEarlierOfEnrolmentAndEnrolee) {
  AddEnrolee("dev-1", kMaf, now_ + absl::Minutes(10));
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  v1::FetchCredentialResponse out;
  ASSERT_TRUE(Fetch(kMaf, ke_id, 21, &out).ok());
  EXPECT_EQ(out.expires_at().seconds(), absl::ToUnixSeconds(now_ + absl::Minutes(10)));
}

TEST_P(CredentialServiceTest, EnrolmentVectorGivesTheVectorKm) {
  nlohmann::json v = crypto::testing::LoadDerivationVectors();
  ASSERT_FALSE(v.is_null());
  int n = 0;
  for (const auto& e : v["enrolment"]) {
    SCOPED_TRACE(crypto::testing::StringField(e, "ke_id"));
    const std::string maf = crypto::testing::StringField(e, "maf_id");
    const std::string kpm_id = absl::StrCat("vec-", n++);
    AddEnrolee(kpm_id, maf);
    const std::string ke_id =
        AddEnrolment(kpm_id, maf, crypto::testing::HexField(e, "ke"), now_ + absl::Hours(1),
                     crypto::testing::StringField(e, "ke_id"));
    v1::FetchCredentialResponse out;
    grpc::Status s = Fetch(maf, ke_id, 21, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(SecretBytes::Copy(out.km()).Equals(crypto::testing::HexField(e, "km")));
  }
  EXPECT_GT(n, 0);
}

TEST_P(CredentialServiceTest, OtherMafIsDeniedAndAudited) {
  AddEnrolee("dev-1", kMaf);
  SecretBytes ke = SecretBytes::Random(32);
  const std::string ke_id = AddEnrolment("dev-1", kMaf, ke, now_ + absl::Hours(1));
  v1::FetchCredentialResponse out;
  grpc::Status s = Fetch(kOtherMaf, ke_id, 21, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(out.km().empty());
  const std::string audit = ReadAll(audit_path_);
  EXPECT_NE(audit.find("credential_fetch"), std::string::npos) << audit;
  EXPECT_NE(audit.find(kOtherMaf), std::string::npos) << audit;
  EXPECT_NE(audit.find(ke_id), std::string::npos) << audit;
  EXPECT_NE(audit.find("permission_denied"), std::string::npos) << audit;
  for (const std::string& maf : {std::string(kMaf), std::string(kOtherMaf)}) {
    SecretBytes km = *crypto::DeriveKm(ke, maf);
    const std::string hex = crypto::HexUpper(km.Reveal());
    EXPECT_EQ(audit.find(hex), std::string::npos);
    EXPECT_EQ(audit.find(absl::AsciiStrToLower(hex)), std::string::npos);
  }
  const std::string ke_hex = crypto::HexUpper(ke.Reveal());
  EXPECT_EQ(audit.find(ke_hex), std::string::npos);
  EXPECT_EQ(audit.find(absl::AsciiStrToLower(ke_hex)), std::string::npos);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kPermissionDenied)], 1);
}

TEST_P(CredentialServiceTest, UnusableKeIdsAreIndistinguishableNotFound) {
  AddEnrolee("dev-exp", kMaf);
  AddEnrolee("dev-notafter", kMaf, now_ - absl::Seconds(1));
  AddEnrolee("dev-dis", kMaf);
  AddEnrolee("dev-rev", kMaf);
  AddEnrolee("dev-revm", kMaf);
  const absl::Time later = now_ + absl::Hours(1);
  std::vector<std::string> ids = {
      *crypto::FormatKeyId(std::string(16, '\x01'), kMef),           // unknown
      AddEnrolment("dev-exp", kMaf, SecretBytes::Random(32), now_),  // expires exactly now
      AddEnrolment("dev-notafter", kMaf, SecretBytes::Random(32), later),
      AddEnrolment("dev-dis", kMaf, SecretBytes::Random(32), later),
      AddEnrolment("dev-rev", kMaf, SecretBytes::Random(32), later),
      AddEnrolment("dev-revm", kMaf, SecretBytes::Random(32), later),
  };
  ASSERT_TRUE(store_->SetState("dev-dis", EnroleeState::kDisabled).ok());
  ASSERT_TRUE(store_->SetState("dev-rev", EnroleeState::kRevoked).ok());
  ASSERT_TRUE(store_->RevokeEnrolment(*crypto::KeyId::Parse(ids[5])).ok());
  for (const std::string& id : ids) {
    // Also from the wrong MAF: an unusable KeID must not turn into PERMISSION_DENIED.
    for (const char* caller : {kMaf, kOtherMaf}) {
      SCOPED_TRACE(absl::StrCat(id, " ", caller));
      v1::FetchCredentialResponse out;
      grpc::Status s = Fetch(caller, id, 21, &out);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
      EXPECT_EQ(s.error_message(), std::string(kNotFoundMessage));
      EXPECT_TRUE(s.error_details().empty());
    }
  }
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kNotFound)], 12);
  // docs/protocol.md 7: every NOT_FOUND opened the decoy Ke instead (the same work as a found
  // KeID's Ke), and no real Ke was opened for an unusable enrolment.
  EXPECT_EQ(opener_->decoy_opens, 12);
  EXPECT_EQ(opener_->opens, 0);
}

TEST_P(CredentialServiceTest, MalformedKeIdOrSuidIsInvalidArgument) {
  AddEnrolee("dev-1", kMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  for (const std::string& bad : {std::string(""), std::string("nonsense"), ke_id.substr(1),
                                 ke_id + "@x", "ZZ" + ke_id.substr(2), ke_id + ".", " " + ke_id,
                                 ke_id.substr(0, 33) + "MEF.example.com"}) {
    SCOPED_TRACE(bad);
    v1::FetchCredentialResponse out;
    EXPECT_EQ(Fetch(kMaf, bad, 21, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  v1::FetchCredentialResponse out;
  EXPECT_EQ(Fetch(kMaf, ke_id, 0, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Other SUIDs are well-formed now (10.3.7), but the MAF holds no grant for them.
  for (uint32_t suid : {20u, 22u, 0xFFFFFFFFu}) {
    SCOPED_TRACE(suid);
    EXPECT_EQ(Fetch(kMaf, ke_id, suid, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_TRUE(out.credential().empty());
  }
}

TEST_P(CredentialServiceTest, AllowedTargetAndSuidGetTheUsageConstrainedKey) {
  constexpr char kCse[] = "cse.example.com";
  Enrolee e;
  e.kpm_id = "dev-t";
  e.kpm = SealedKey{"sealed-kpm-not-used-here", 1};
  e.enrolee_id = "Cdev-t";
  e.maf_id = kMaf;
  e.fetch_grants = {{kCse, 42}, {kMaf, 43}};
  ASSERT_TRUE(store_->CreateEnrolee(e).ok());
  SecretBytes ke = SecretBytes::Random(32);
  const std::string ke_id = AddEnrolment("dev-t", kMaf, ke, now_ + absl::Hours(1));

  // The allowed target with its SUID: HMAC-SHA-256(Ke, label || "42" || target) (10.3.7).
  v1::FetchCredentialResponse out;
  grpc::Status s = Fetch(kCse, ke_id, 42, &out, kCse);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(
      SecretBytes::Copy(out.credential()).Equals(*crypto::DeriveUsageConstrainedKey(ke, 42, kCse)));
  EXPECT_TRUE(out.km().empty());
  EXPECT_TRUE(out.maf_id().empty());
  EXPECT_EQ(out.suid(), 42u);
  EXPECT_EQ(out.enrolment_target_id(), kCse);
  EXPECT_EQ(out.enrolee_id(), "Cdev-t");
  // The target may be left out when the certificate names one DNS name.
  out.Clear();
  ASSERT_TRUE(Fetch(kCse, ke_id, 42, &out).ok());
  EXPECT_TRUE(
      SecretBytes::Copy(out.credential()).Equals(*crypto::DeriveUsageConstrainedKey(ke, 42, kCse)));
  // The MAF with a granted non-21 SUID gets the 10.3.7 key, and SUID 21 still gets Km (10.3.2).
  out.Clear();
  ASSERT_TRUE(Fetch(kMaf, ke_id, 43, &out).ok());
  EXPECT_TRUE(
      SecretBytes::Copy(out.credential()).Equals(*crypto::DeriveUsageConstrainedKey(ke, 43, kMaf)));
  out.Clear();
  ASSERT_TRUE(Fetch(kMaf, ke_id, 21, &out).ok());
  EXPECT_TRUE(SecretBytes::Copy(out.km()).Equals(*crypto::DeriveKm(ke, kMaf)));
  EXPECT_TRUE(out.credential().empty());

  // Not allowed: another SUID, another target, SUID 21 for a target that is not the MAF, and an
  // originator that is not the certificate's identity.
  struct Denied {
    const char* caller;
    uint32_t suid;
    const char* target;
  };
  for (const Denied& d : {Denied{kCse, 43, ""}, Denied{kOtherMaf, 42, ""}, Denied{kCse, 21, ""},
                          Denied{kCse, 42, kOtherMaf}, Denied{kOtherMaf, 42, kCse}}) {
    SCOPED_TRACE(absl::StrCat(d.caller, " ", d.suid, " ", d.target));
    out.Clear();
    EXPECT_EQ(Fetch(d.caller, ke_id, d.suid, &out, d.target).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_TRUE(out.credential().empty());
    EXPECT_TRUE(out.km().empty());
  }
  // Grants take effect at once: removing one denies the next fetch.
  ASSERT_TRUE(store_->SetFetchGrants("dev-t", {}).ok());
  out.Clear();
  EXPECT_EQ(Fetch(kCse, ke_id, 42, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The audit says which target asked, never the key.
  const std::string audit = ReadAll(audit_path_);
  EXPECT_NE(audit.find("\"target\":\"cse.example.com\""), std::string::npos) << audit;
  EXPECT_EQ(
      audit.find(crypto::HexUpper((*crypto::DeriveUsageConstrainedKey(ke, 42, kCse)).Reveal())),
      std::string::npos);
}

TEST_P(CredentialServiceTest, RevokedEnroleeWithAGrantIsNotFound) {
  constexpr char kCse[] = "cse.example.com";
  Enrolee e;
  e.kpm_id = "dev-r";
  e.kpm = SealedKey{"sealed-kpm-not-used-here", 1};
  e.enrolee_id = "Cdev-r";
  e.maf_id = kMaf;
  e.fetch_grants = {{kCse, 42}};
  ASSERT_TRUE(store_->CreateEnrolee(e).ok());
  const std::string ke_id =
      AddEnrolment("dev-r", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  ASSERT_TRUE(store_->SetState("dev-r", EnroleeState::kRevoked).ok());
  v1::FetchCredentialResponse out;
  grpc::Status s = Fetch(kCse, ke_id, 42, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), std::string(kNotFoundMessage));
}

TEST_P(CredentialServiceTest, ClientWithoutCertificateIsRefused) {
  AddEnrolee("dev-1", kMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  v1::FetchCredentialResponse out;
  grpc::Status s = Fetch("", ke_id, 21, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(out.km().empty());
}

TEST_P(CredentialServiceTest, ConcurrentMixedFetchesEachGetTheirOwnAnswerAndAuditRecord) {
  // Calls that arrive together are answered from one store read: each must still get its own
  // answer, and one audit record.
  AddEnrolee("dev-a", kMaf);
  AddEnrolee("dev-b", kMaf);
  SecretBytes ke_a = SecretBytes::Random(32), ke_b = SecretBytes::Random(32);
  const std::string id_a = AddEnrolment("dev-a", kMaf, ke_a, now_ + absl::Hours(1));
  const std::string id_b = AddEnrolment("dev-b", kMaf, ke_b, now_ + absl::Hours(1));
  const std::string unknown = *crypto::FormatKeyId(std::string(16, '\x02'), kMef);
  struct Ask {
    std::string caller, ke_id;
    uint32_t suid;
    grpc::StatusCode want;
    const SecretBytes* ke;
  };
  const std::vector<Ask> kinds = {
      {kMaf, id_a, 21, grpc::StatusCode::OK, &ke_a},
      {kMaf, id_b, 21, grpc::StatusCode::OK, &ke_b},
      {kMaf, unknown, 21, grpc::StatusCode::NOT_FOUND, nullptr},
      {kOtherMaf, id_a, 21, grpc::StatusCode::PERMISSION_DENIED, nullptr},
      {kMaf, "nonsense", 21, grpc::StatusCode::INVALID_ARGUMENT, nullptr},
      {kMaf, id_b, 0, grpc::StatusCode::INVALID_ARGUMENT, nullptr},
  };
  constexpr int kRepeats = 6;
  // One channel per identity, made before the threads (MtlsEnv::Channel writes files).
  std::map<std::string, std::unique_ptr<v1::MefCredentialService::Stub>> stubs;
  for (const char* caller : {kMaf, kOtherMaf}) {
    stubs[caller] = v1::MefCredentialService::NewStub(env_->Channel(port_, caller));
  }
  std::vector<std::thread> callers;
  std::atomic<int> right{0};
  for (int r = 0; r < kRepeats; ++r) {
    for (const Ask& ask : kinds) {
      callers.emplace_back([&, ask] {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::FetchCredentialRequest req;
        req.set_ke_id(ask.ke_id);
        req.set_suid(ask.suid);
        v1::FetchCredentialResponse out;
        grpc::Status s = stubs.at(ask.caller)->FetchCredential(&ctx, req, &out);
        bool ok = s.error_code() == ask.want;
        if (ask.ke != nullptr) {
          ok = ok && SecretBytes::Copy(out.km()).Equals(*crypto::DeriveKm(*ask.ke, kMaf)) &&
               out.ke_id() == ask.ke_id;
        } else {
          ok = ok && out.km().empty();
        }
        if (ok) {
          ++right;
        } else {
          ADD_FAILURE() << ask.caller << " " << ask.ke_id << " " << ask.suid << ": "
                        << s.error_code() << " " << s.error_message();
        }
      });
    }
  }
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(right, kRepeats * static_cast<int>(kinds.size()));
  const std::vector<std::string> lines =
      absl::StrSplit(ReadAll(audit_path_), '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), kRepeats * kinds.size());
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kOk)], 2 * kRepeats);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kInvalid)], 2 * kRepeats);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kNotFound)], kRepeats);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kPermissionDenied)], kRepeats);
}

// Store faults need a store that can be switched off: only the fake one can.
class CredentialServiceFaultTest : public CredentialServiceTest {};

TEST_P(CredentialServiceFaultTest, StoreDownIsUnavailable) {
  AddEnrolee("dev-1", kMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  fake_->set_down(true);
  v1::FetchCredentialResponse out;
  EXPECT_EQ(Fetch(kMaf, ke_id, 21, &out).error_code(), grpc::StatusCode::UNAVAILABLE);
  fake_->set_down(false);
  EXPECT_TRUE(Fetch(kMaf, ke_id, 21, &out).ok());
}

// --- WatchRevocations ---

// OpenWatch starts a raw WatchRevocations call.
struct RawWatch {
  grpc::ClientContext ctx;
  std::unique_ptr<v1::MefCredentialService::Stub> stub;
  std::unique_ptr<grpc::ClientReader<v1::RevocationEvent>> reader;
};

TEST_P(CredentialServiceTest, RevocationReachesTheMafWithinOneSecond) {
  AddEnrolee("dev-1", kMaf);
  AddEnrolee("dev-2", kOtherMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  AddEnrolment("dev-2", kOtherMaf, SecretBytes::Random(32), now_ + absl::Hours(1));

  RawWatch w;
  w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  w.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchRevocationsRequest req;
  req.set_start_from_now(true);
  req.set_heartbeat_interval_ms(100);
  w.reader = w.stub->WatchRevocations(&w.ctx, req);
  v1::RevocationEvent ev;
  ASSERT_TRUE(w.reader->Read(&ev));  // the immediate heartbeat: the stream is open
  ASSERT_EQ(ev.kind(), v1::RevocationEvent::KIND_HEARTBEAT);

  // Another MAF's enrolee first: the stream is in commit order, so its event, had it leaked,
  // would arrive before ours.
  ASSERT_TRUE(store_->SetState("dev-2", EnroleeState::kRevoked).ok());
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE(store_->SetState("dev-1", EnroleeState::kRevoked).ok());
  bool revoked = false;
  bool saw_ke = false;
  while (!(revoked && saw_ke) && w.reader->Read(&ev)) {
    if (ev.kind() == v1::RevocationEvent::KIND_HEARTBEAT) continue;
    EXPECT_EQ(ev.enrolee_id(), "Cdev-1") << "event about another MAF's enrolee";
    if (!revoked && ev.kind() == v1::RevocationEvent::KIND_ENROLEE_REVOKED) {
      revoked = true;
      EXPECT_LT(absl::Now() - t0, absl::Seconds(1)) << "revocation event later than 1 s";
    }
    for (const auto& k : ev.ke_ids()) saw_ke |= (k == ke_id);
  }
  EXPECT_TRUE(revoked) << "no revocation event";
  EXPECT_TRUE(saw_ke) << "the revoked enrolee's enrolment was not invalidated";
  w.ctx.TryCancel();
}

TEST_P(CredentialServiceTest, WatchRejectsBadCursorsAndIntervals) {
  auto finish = [&](v1::WatchRevocationsRequest req) {
    RawWatch w;
    w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
    w.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    w.reader = w.stub->WatchRevocations(&w.ctx, req);
    v1::RevocationEvent ev;
    while (w.reader->Read(&ev)) {
    }
    return w.reader->Finish().error_code();
  };
  v1::WatchRevocationsRequest req;
  EXPECT_EQ(finish(req), grpc::StatusCode::INVALID_ARGUMENT);  // neither cursor nor from-now
  req.set_resume_cursor("garbage");
  EXPECT_EQ(finish(req), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_resume_cursor("s999999");
  EXPECT_EQ(finish(req), grpc::StatusCode::OUT_OF_RANGE);
  req.set_start_from_now(true);
  req.set_heartbeat_interval_ms(50);
  EXPECT_EQ(finish(req), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(CredentialServiceTest, WatchResumesFromCursorAndEndsOnShutdown) {
  AddEnrolee("dev-1", kMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  RawWatch w;
  w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  v1::WatchRevocationsRequest req;
  req.set_start_from_now(true);
  w.reader = w.stub->WatchRevocations(&w.ctx, req);
  v1::RevocationEvent first;
  ASSERT_TRUE(w.reader->Read(&first));  // the immediate heartbeat carries the start cursor
  EXPECT_EQ(first.kind(), v1::RevocationEvent::KIND_HEARTBEAT);
  ASSERT_TRUE(store_->RevokeEnrolment(*crypto::KeyId::Parse(ke_id)).ok());
  v1::RevocationEvent ev;
  do {
    ASSERT_TRUE(w.reader->Read(&ev));
  } while (ev.kind() == v1::RevocationEvent::KIND_HEARTBEAT);
  EXPECT_EQ(ev.kind(), v1::RevocationEvent::KIND_ENROLMENTS_INVALIDATED);
  ASSERT_EQ(ev.ke_ids_size(), 1);
  EXPECT_EQ(ev.ke_ids(0), ke_id);

  // A second stream resuming from the first heartbeat's cursor replays the same event.
  RawWatch again;
  again.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  v1::WatchRevocationsRequest resume;
  resume.set_resume_cursor(first.cursor());
  again.reader = again.stub->WatchRevocations(&again.ctx, resume);
  v1::RevocationEvent replay;
  ASSERT_TRUE(again.reader->Read(&replay));
  EXPECT_EQ(replay.kind(), v1::RevocationEvent::KIND_ENROLMENTS_INVALIDATED);
  EXPECT_EQ(replay.cursor(), ev.cursor());

  // Shutdown ends both streams promptly with UNAVAILABLE.
  const absl::Time t0 = absl::Now();
  service_->Shutdown();
  while (w.reader->Read(&ev)) {
  }
  while (again.reader->Read(&ev)) {
  }
  EXPECT_EQ(w.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(again.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  server_->Shutdown();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(1));
}

TEST_P(CredentialServiceFaultTest, WatchEndsUnavailableWhenTheStoreFails) {
  RawWatch w;
  w.stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  w.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::WatchRevocationsRequest req;
  req.set_start_from_now(true);
  w.reader = w.stub->WatchRevocations(&w.ctx, req);
  v1::RevocationEvent ev;
  ASSERT_TRUE(w.reader->Read(&ev));
  fake_->set_down(true);  // heartbeats must stop: the MAF may no longer trust its cache
  while (w.reader->Read(&ev)) {
  }
  EXPECT_EQ(w.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// GatedStore holds every enrolment read until Open(), and counts the reads of each KeID.
class GatedStore final : public ForwardingEnroleeStore {
 public:
  explicit GatedStore(EnroleeStore* inner) : ForwardingEnroleeStore(inner) {}
  absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(const crypto::KeyId& ke_id) override {
    {
      absl::MutexLock l(&mu_);
      ++reads_[ke_id.ToString()];
      ++waiting_;
      mu_.Await(absl::Condition(&open_));
      --waiting_;
    }
    return ForwardingEnroleeStore::GetEnrolmentByKeId(ke_id);
  }
  void Open() {
    absl::MutexLock l(&mu_);
    open_ = true;
  }
  bool WaitForReader(absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    auto reading = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&reading), timeout);
  }
  int reads(const std::string& ke_id) {
    absl::MutexLock l(&mu_);
    return reads_[ke_id];
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> reads_ ABSL_GUARDED_BY(mu_);
};

// Load shedding needs a store that stops answering: the memory store behind a gate.
class CredentialServiceSheddingTest : public CredentialServiceTest {
 protected:
  // Serve runs a second service on `store` with `o`, on its own port.
  void Serve(EnroleeStore* store, MefCredentialServiceImpl::Options o) {
    o.metrics = &metrics_;
    auto service = MefCredentialServiceImpl::Create(store, opener_.get(), o);
    ASSERT_TRUE(service.ok()) << service.status();
    gated_service_ = *std::move(service);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", env_->ServerCredentials(), &gated_port_);
    gated_service_->Register(&b);
    gated_server_ = b.BuildAndStart();
    ASSERT_NE(gated_server_, nullptr);
    gated_service_->Start();
    stub_ = v1::MefCredentialService::NewStub(env_->Channel(gated_port_, kMaf));
  }
  void TearDown() override {
    if (gated_server_ != nullptr) gated_server_->Shutdown();
    if (gated_service_ != nullptr) gated_service_->Stop();
    gated_server_.reset();
    CredentialServiceTest::TearDown();
  }
  grpc::Status Call(const std::string& ke_id, absl::Duration deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::FetchCredentialRequest req;
    req.set_ke_id(ke_id);
    req.set_suid(21);
    v1::FetchCredentialResponse out;
    return stub_->FetchCredential(&ctx, req, &out);
  }

  std::unique_ptr<MefCredentialServiceImpl> gated_service_;
  int gated_port_ = 0;
  std::unique_ptr<grpc::Server> gated_server_;
  std::unique_ptr<v1::MefCredentialService::Stub> stub_;
};

TEST_P(CredentialServiceSheddingTest, CallsBeyondTheWaitingBoundAreRefusedAtOnceAndAudited) {
  AddEnrolee("dev-1", kMaf);
  const std::string ke_id =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  GatedStore gated(store_.get());
  MefCredentialServiceImpl::Options o;
  o.fetch_threads = 3;
  o.fetch_max_waiting = 2;
  Serve(&gated, o);
  std::atomic<int> ok{0}, refused{0}, other{0};
  auto call = [&] {
    grpc::Status s = Call(ke_id, absl::Seconds(20));
    if (s.ok()) {
      ++ok;
    } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      ++refused;
    } else {
      ++other;
    }
  };
  std::vector<std::thread> callers;
  callers.emplace_back(call);
  ASSERT_TRUE(gated.WaitForReader(absl::Seconds(10)));  // the first batch holds the store
  for (int i = 0; i < 12; ++i) callers.emplace_back(call);
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (refused == 0 && absl::Now() < until) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_GT(refused, 0) << "calls beyond fetch_max_waiting should be refused while the store hangs";
  gated.Open();
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(ok + refused, 13);
  EXPECT_GE(ok, 3);  // the first, and the two admitted
  EXPECT_EQ(other, 0);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kUnavailable)], refused.load());
  const std::vector<std::string> lines =
      absl::StrSplit(ReadAll(audit_path_), '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 13u);
}

TEST_P(CredentialServiceSheddingTest, ACallWhoseDeadlinePassedWhileWaitingIsNotRead) {
  AddEnrolee("dev-1", kMaf);
  AddEnrolee("dev-2", kMaf);
  const std::string first =
      AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  const std::string late =
      AddEnrolment("dev-2", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  GatedStore gated(store_.get());
  Serve(&gated, {});
  std::thread blocker([&] { EXPECT_TRUE(Call(first, absl::Seconds(20)).ok()); });
  ASSERT_TRUE(gated.WaitForReader(absl::Seconds(10)));
  EXPECT_EQ(Call(late, absl::Milliseconds(200)).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  gated.Open();
  blocker.join();
  // Its batch found the deadline gone: no read, and an "unavailable" audit record.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (metrics_.counts[static_cast<int>(FetchOutcome::kUnavailable)] == 0 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(gated.reads(late), 0);
  EXPECT_EQ(gated.reads(first), 1);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kUnavailable)], 1);
  EXPECT_NE(ReadAll(audit_path_).find("\"unavailable\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, CredentialServiceTest, ::testing::Values("fake", "memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
INSTANTIATE_TEST_SUITE_P(Stores, CredentialServiceFaultTest, ::testing::Values("fake"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
INSTANTIATE_TEST_SUITE_P(Stores, CredentialServiceSheddingTest, ::testing::Values("memory"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace mef
}  // namespace onem2m
