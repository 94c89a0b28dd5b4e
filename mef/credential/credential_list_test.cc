// MefCredentialServiceImpl's FetchCredentials (several fetches in one call) over a real gRPC server
// on 127.0.0.1:0 with mutual TLS, against the fake store, MemoryEnroleeStore and (when
// ONEM2M_TEST_PG is set) PgEnroleeStore: each entry is answered, audited and counted exactly as its
// own FetchCredential call is; the call itself fails only when it is empty or too long.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "gtest/gtest.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/testing/credential_service_fixture.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using testing::kMaf;
using testing::kMef;
using testing::kOtherMaf;
using testing::ReadAll;

class CredentialListTest : public testing::CredentialServiceFixture {
 protected:
  static v1::FetchCredentialRequest Ask(const std::string& ke_id, uint32_t suid = 21,
                                        const std::string& target = "") {
    v1::FetchCredentialRequest r;
    r.set_ke_id(ke_id);
    r.set_suid(suid);
    r.set_enrolment_target_id(target);
    return r;
  }
  int AuditedFetches() {
    int n = 0;
    for (absl::string_view line : absl::StrSplit(ReadAll(audit_path_), '\n')) {
      if (line.find("credential_fetch") != absl::string_view::npos) ++n;
    }
    return n;
  }
};

TEST_P(CredentialListTest, EachEntryIsAnsweredAsItsOwnCallWouldBe) {
  AddEnrolee("dev-1", kMaf);
  AddEnrolee("dev-2", kMaf);
  AddEnrolee("dev-other", kOtherMaf);
  SecretBytes ke1 = SecretBytes::Random(32);
  SecretBytes ke2 = SecretBytes::Random(32);
  const std::string id1 = AddEnrolment("dev-1", kMaf, ke1, now_ + absl::Hours(1));
  const std::string id2 = AddEnrolment("dev-2", kMaf, ke2, now_ + absl::Hours(2));
  const std::string other =
      AddEnrolment("dev-other", kOtherMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  const std::vector<v1::FetchCredentialRequest> asks = {
      Ask(id1),
      Ask(*crypto::FormatKeyId(std::string(16, '\x01'), kMef)),  // unknown
      Ask("not a KeID"),
      Ask(other),   // live, but another MAF's
      Ask(id2),
      Ask(id1, 0),  // SUID 0
      Ask(id1),     // the same KeID twice: answered twice
  };
  v1::FetchCredentialsResponse list;
  grpc::Status s = FetchList(kMaf, asks, &list);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(list.results_size(), static_cast<int>(asks.size()));

  for (size_t i = 0; i < asks.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("entry ", i, ": ", asks[i].ke_id()));
    v1::FetchCredentialResponse one;
    grpc::Status want = Fetch(kMaf, asks[i].ke_id(), asks[i].suid(), &one);
    const v1::FetchCredentialResult& got = list.results(static_cast<int>(i));
    EXPECT_EQ(got.code(), static_cast<int>(want.error_code()));
    EXPECT_EQ(got.message(), want.error_message());
    EXPECT_EQ(got.credential().SerializeAsString(), one.SerializeAsString());
    EXPECT_EQ(got.has_credential(), want.ok());
  }
  EXPECT_TRUE(
      SecretBytes::Copy(list.results(0).credential().km()).Equals(*crypto::DeriveKm(ke1, kMaf)));
  EXPECT_TRUE(
      SecretBytes::Copy(list.results(4).credential().km()).Equals(*crypto::DeriveKm(ke2, kMaf)));
  EXPECT_EQ(list.results(4).credential().expires_at().seconds(),
            absl::ToUnixSeconds(now_ + absl::Hours(2)));
  EXPECT_EQ(list.results(1).code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(list.results(2).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(list.results(3).code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  // One audit record and one count per entry, as for the single calls that followed.
  EXPECT_EQ(AuditedFetches(), 2 * static_cast<int>(asks.size()));
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kOk)], 2 * 3);
  EXPECT_EQ(metrics_.counts[static_cast<int>(FetchOutcome::kPermissionDenied)], 2 * 1);
}

TEST_P(CredentialListTest, EmptyOrOverlongListIsInvalidArgumentAndNotAudited) {
  AddEnrolee("dev-1", kMaf);
  const std::string id = AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  v1::FetchCredentialsResponse out;
  EXPECT_EQ(FetchList(kMaf, {}, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FetchList(kMaf, std::vector<v1::FetchCredentialRequest>(129, Ask(id)), &out)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(AuditedFetches(), 0);
  v1::FetchCredentialsResponse full;
  ASSERT_TRUE(FetchList(kMaf, std::vector<v1::FetchCredentialRequest>(128, Ask(id)), &full).ok());
  ASSERT_EQ(full.results_size(), 128);
  for (const v1::FetchCredentialResult& r : full.results()) EXPECT_EQ(r.code(), 0);
}

TEST_P(CredentialListTest, ConcurrentListsEachGetTheirOwnAnswers) {
  constexpr int kCallers = 8;
  constexpr int kPerList = 5;
  std::vector<std::string> ids;
  std::vector<SecretBytes> kes;
  for (int i = 0; i < kCallers * kPerList; ++i) {
    const std::string kpm = absl::StrCat("dev-", i);
    AddEnrolee(kpm, kMaf);
    kes.push_back(SecretBytes::Random(32));
    ids.push_back(AddEnrolment(kpm, kMaf, kes.back(), now_ + absl::Hours(1)));
  }
  std::vector<v1::FetchCredentialsResponse> answers(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  // One channel for all (building channels is not thread-safe in the test PKI).
  auto stub = v1::MefCredentialService::NewStub(env_->Channel(port_, kMaf));
  std::vector<std::thread> threads;
  for (int c = 0; c < kCallers; ++c) {
    threads.emplace_back([&, c] {
      v1::FetchCredentialsRequest req;
      for (int k = 0; k < kPerList; ++k) *req.add_fetches() = Ask(ids[c * kPerList + k]);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      statuses[c] = stub->FetchCredentials(&ctx, req, &answers[c]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int c = 0; c < kCallers; ++c) {
    ASSERT_TRUE(statuses[c].ok()) << statuses[c].error_message();
    ASSERT_EQ(answers[c].results_size(), kPerList);
    for (int k = 0; k < kPerList; ++k) {
      const v1::FetchCredentialResult& r = answers[c].results(k);
      ASSERT_EQ(r.code(), 0) << r.message();
      EXPECT_EQ(r.credential().ke_id(), ids[c * kPerList + k]);
      EXPECT_TRUE(SecretBytes::Copy(r.credential().km())
                      .Equals(*crypto::DeriveKm(kes[c * kPerList + k], kMaf)));
    }
  }
}

// Store faults need a store that can be switched off: only the fake one can.
class CredentialListFaultTest : public CredentialListTest {};

TEST_P(CredentialListFaultTest, StoreDownMakesEveryValidEntryUnavailable) {
  AddEnrolee("dev-1", kMaf);
  const std::string id = AddEnrolment("dev-1", kMaf, SecretBytes::Random(32), now_ + absl::Hours(1));
  fake_->set_down(true);
  v1::FetchCredentialsResponse out;
  ASSERT_TRUE(FetchList(kMaf, {Ask(id), Ask("bad")}, &out).ok());
  ASSERT_EQ(out.results_size(), 2);
  EXPECT_EQ(out.results(0).code(), static_cast<int>(grpc::StatusCode::UNAVAILABLE));
  EXPECT_FALSE(out.results(0).has_credential());
  EXPECT_EQ(out.results(1).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  fake_->set_down(false);
  ASSERT_TRUE(FetchList(kMaf, {Ask(id)}, &out).ok());
  EXPECT_EQ(out.results(0).code(), 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, CredentialListTest, ::testing::Values("fake", "memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
INSTANTIATE_TEST_SUITE_P(Stores, CredentialListFaultTest, ::testing::Values("fake"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace mef
}  // namespace onem2m
