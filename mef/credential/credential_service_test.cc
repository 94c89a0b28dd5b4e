// MefCredentialServiceImpl's FetchCredential over a real gRPC server on 127.0.0.1:0 with mutual
// TLS, against the fake store, MemoryEnroleeStore and (when ONEM2M_TEST_PG is set) PgEnroleeStore
// in its own schema: Km and usage-constrained keys, who may fetch what, indistinguishable
// NOT_FOUND, concurrent calls, store faults.
#include "mef/credential/credential_service.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/crypto/test_vectors.h"
#include "gtest/gtest.h"
#include "mef/credential/testing/credential_service_fixture.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using testing::kMaf;
using testing::kMef;
using testing::kOtherMaf;
using testing::ReadAll;

class CredentialServiceTest : public testing::CredentialServiceFixture {};

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
class CredentialServiceFaultTest : public testing::CredentialServiceFixture {};

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


INSTANTIATE_TEST_SUITE_P(Stores, CredentialServiceTest, ::testing::Values("fake", "memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
INSTANTIATE_TEST_SUITE_P(Stores, CredentialServiceFaultTest, ::testing::Values("fake"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace mef
}  // namespace onem2m
