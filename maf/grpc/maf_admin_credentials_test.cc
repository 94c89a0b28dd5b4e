// MafAdminService's credential RPCs (ListCredentials, GetCredential, RevokeCredential) over mutual
// TLS, with the MAF's KmResolver wired as services/maf/maf_server.cc wires it: a credential comes
// from a device's first contact (KeID, Km fetched from a MEF), and after RevokeCredential the
// resolver refuses its KmID and KeID at once (cache dropped, store marked).
#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/log/logger.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/grpc/maf_admin_service.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/fake_fetcher.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

namespace v1 = ::onem2m::rsp::v1;
constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";
constexpr char kOps[] = "ops.example.com";

std::string KeId(int i) { return testing::FakeKeId(i, kMef); }

// OneMef is the shared fake MEF handing out a fixed Km per KeID (as a MEF would for an enrolled
// device). KeId(i) ends in the hex digit of i: device i's Km is 32 times that digit, its
// Enrolee-ID C-devI.
std::shared_ptr<testing::FakeFetcher> OneMef() {
  auto mef = std::make_shared<testing::FakeFetcher>();
  mef->answer = [mef = mef.get()](const crypto::KeyId& ke_id,
                                  absl::Time) -> absl::StatusOr<FetchedCredential> {
    FetchedCredential c = mef->Good(ke_id);
    c.enrolee_id = "C-dev" + ke_id.ToString().substr(31, 1);
    return c;
  };
  return mef;
}

class MafAdminCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_path_ = env_.Path("credentials_audit.log");
    std::remove(audit_path_.c_str());
    ASSERT_TRUE(SetAuditPath(audit_path_));
    KmResolverOptions ko;
    ko.maf_fqdn = kMaf;
    ko.store = store_.get();
    ko.envelope = &envelope_;
    ko.fetchers[kMef] = mef_;
    absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(ko));
    ASSERT_THAT(r, IsOk());
    resolver_ = *r;
    // Three devices make their first contact with the MAF (docs/protocol.md section 7).
    for (int i = 1; i <= 3; ++i) {
      absl::StatusOr<ResolvedKm> km = resolver_->Resolve(KeId(i));
      ASSERT_THAT(km, IsOk());
      km_ids_.push_back(km->km_id.ToString());
      kms_.push_back(std::string(km->km.Reveal()));
    }
    MafAdminServiceOptions o;
    o.store = store_.get();
    o.admins = {kOps};
    std::shared_ptr<KmResolver> res = resolver_;
    o.on_client_revoked = [res](const crypto::KeyId& km_id) { res->ForgetKmId(km_id); };
    service_ = std::make_unique<MafAdminServiceImpl>(std::move(o));
    env_.Start({service_.get()});
  }
  void TearDown() override {
    if (resolver_) {
      EXPECT_TRUE(resolver_->WaitIdle(absl::Now() + absl::Seconds(10)));
    }
  }

  std::unique_ptr<v1::MafAdminService::Stub> Stub(const std::string& who = kOps) {
    return v1::MafAdminService::NewStub(env_.Channel(who));
  }
  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  // ExpectNoKm checks that a response carries no Km, in hex or raw.
  void ExpectNoKm(const google::protobuf::Message& m) {
    const std::string text = m.DebugString();
    for (const std::string& km : kms_) {
      EXPECT_EQ(text.find(km), std::string::npos);
      EXPECT_EQ(text.find(crypto::HexUpper(km)), std::string::npos);
    }
  }
  std::string AuditLog() {
    std::ifstream in(audit_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  ::onem2m::testing::MtlsEnv env_;
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  std::unique_ptr<MemoryMafStore> store_ = MemoryMafStore::Create();
  std::shared_ptr<testing::FakeFetcher> mef_ = OneMef();
  std::shared_ptr<KmResolver> resolver_;
  std::unique_ptr<MafAdminServiceImpl> service_;
  std::vector<std::string> km_ids_;
  std::vector<std::string> kms_;  // the devices' Km, to check that no response carries them
  std::string audit_path_;
};

TEST_F(MafAdminCredentialsTest, ListCredentialsPagesFiltersAndNeverCarriesKm) {
  auto stub = Stub();
  v1::ListCredentialsRequest req;
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListCredentialsResponse out;
    grpc::Status s = stub->ListCredentials(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ExpectNoKm(out);
    for (const v1::MafCredential& c : out.credentials()) {
      seen.push_back(c.km_id());
      EXPECT_EQ(c.state(), v1::MAF_CREDENTIAL_STATE_ACTIVE);
      EXPECT_EQ(c.mef_fqdn(), kMef);
      EXPECT_EQ(c.kek_version(), 1u);
      EXPECT_TRUE(c.has_create_time());
      EXPECT_TRUE(c.has_expire_time());
      EXPECT_FALSE(c.has_revocation());
    }
    if (out.next_page_token().empty()) break;
    req.set_page_token(out.next_page_token());
  }
  std::vector<std::string> want = km_ids_;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);

  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ListCredentialsRequest by_enrolee;
  by_enrolee.set_enrolee_id_filter("C-dev2");
  v1::ListCredentialsResponse one;
  ASSERT_TRUE(stub->ListCredentials(&ctx, by_enrolee, &one).ok());
  ASSERT_EQ(one.credentials_size(), 1);
  EXPECT_EQ(one.credentials(0).ke_id(), KeId(2));

  std::vector<v1::ListCredentialsRequest> bad(3);
  bad[0].set_page_size(-1);
  bad[1].set_page_token("garbage!");
  bad[2].set_state_filter(static_cast<v1::MafCredentialState>(99));
  for (const v1::ListCredentialsRequest& r : bad) {
    grpc::ClientContext c;
    Deadline(&c);
    v1::ListCredentialsResponse out;
    EXPECT_EQ(stub->ListCredentials(&c, r, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_F(MafAdminCredentialsTest, GetCredentialByKmIdOrKeIdInEitherHexCase) {
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetCredentialRequest req;
    std::string lower = km_ids_[1];
    for (size_t i = 0; i < 32; ++i) lower[i] = absl::ascii_tolower(lower[i]);
    req.set_km_id(lower);
    v1::MafCredential out;
    grpc::Status s = stub->GetCredential(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.km_id(), km_ids_[1]);
    EXPECT_EQ(out.ke_id(), KeId(2));
    ExpectNoKm(out);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetCredentialRequest req;
    req.set_ke_id(KeId(3));
    v1::MafCredential out;
    ASSERT_TRUE(stub->GetCredential(&ctx, req, &out).ok());
    EXPECT_EQ(out.km_id(), km_ids_[2]);
  }
  const std::vector<std::pair<v1::GetCredentialRequest, grpc::StatusCode>> refused = [&] {
    std::vector<std::pair<v1::GetCredentialRequest, grpc::StatusCode>> v;
    v.emplace_back(v1::GetCredentialRequest(), grpc::StatusCode::INVALID_ARGUMENT);
    v1::GetCredentialRequest bad;
    bad.set_ke_id("not-a-ke-id");
    v.emplace_back(bad, grpc::StatusCode::INVALID_ARGUMENT);
    v1::GetCredentialRequest unknown;
    unknown.set_ke_id(KeId(9));
    v.emplace_back(unknown, grpc::StatusCode::NOT_FOUND);
    return v;
  }();
  for (const auto& [req, code] : refused) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::MafCredential out;
    EXPECT_EQ(stub->GetCredential(&ctx, req, &out).error_code(), code);
  }
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::MafCredential out;
  v1::GetCredentialRequest req;
  req.set_km_id(km_ids_[0]);
  EXPECT_EQ(Stub("target-a.example.com")->GetCredential(&ctx, req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MafAdminCredentialsTest, RevokedCredentialIsRefusedByTheResolverAtOnce) {
  // Before: the KmID is answered from the resolver's cache, the MEF asked once per KeID.
  ASSERT_THAT(resolver_->Resolve(km_ids_[0]), IsOk());
  const int64_t hits = resolver_->stats().cache_hits;
  ASSERT_THAT(resolver_->Resolve(km_ids_[0]), IsOk());
  EXPECT_EQ(resolver_->stats().cache_hits, hits + 1);

  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::RevokeCredentialRequest req;
    req.set_ke_id(KeId(1));
    v1::MafCredential out;
    EXPECT_EQ(stub->RevokeCredential(&ctx, req, &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  }
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::RevokeCredentialRequest req;
  req.set_ke_id(KeId(1));
  req.set_reason("device stolen");
  v1::MafCredential out;
  grpc::Status s = stub->RevokeCredential(&ctx, req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.km_id(), km_ids_[0]);
  EXPECT_EQ(out.state(), v1::MAF_CREDENTIAL_STATE_REVOKED);
  EXPECT_EQ(out.revocation().actor().identity(), kOps);
  EXPECT_EQ(out.revocation().reason(), "device stolen");
  EXPECT_TRUE(out.revocation().has_time());
  EXPECT_EQ(out.kek_version(), 0u);
  ExpectNoKm(out);

  // After: refused by KmID and by KeID, without asking the MEF again; the others still resolve.
  EXPECT_THAT(resolver_->Resolve(km_ids_[0]), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(resolver_->Resolve(KeId(1)), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(mef_->calls.load(), 3);
  EXPECT_THAT(resolver_->Resolve(km_ids_[1]), IsOk());
  std::string audit = AuditLog();
  EXPECT_NE(audit.find("maf_admin_revoke_credential"), std::string::npos);
  EXPECT_NE(audit.find("device stolen"), std::string::npos);

  // Idempotent, and visible in the revoked filter.
  grpc::ClientContext again_ctx;
  Deadline(&again_ctx);
  req.clear_ke_id();
  req.set_km_id(km_ids_[0]);
  req.set_reason("again");
  ASSERT_TRUE(stub->RevokeCredential(&again_ctx, req, &out).ok());
  EXPECT_EQ(out.revocation().reason(), "device stolen");
  grpc::ClientContext list_ctx;
  Deadline(&list_ctx);
  v1::ListCredentialsRequest revoked;
  revoked.set_state_filter(v1::MAF_CREDENTIAL_STATE_REVOKED);
  v1::ListCredentialsResponse page;
  ASSERT_TRUE(stub->ListCredentials(&list_ctx, revoked, &page).ok());
  ASSERT_EQ(page.credentials_size(), 1);
  EXPECT_EQ(page.credentials(0).km_id(), km_ids_[0]);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
