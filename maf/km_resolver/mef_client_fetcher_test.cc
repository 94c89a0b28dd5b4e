#include "maf/km_resolver/mef_client_fetcher.h"

#include <atomic>

#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/grpc/mtls.h"
#include "gtest/gtest.h"
#include "maf/grpc/mtls_test_env.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/store/memory_maf_store.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m {
namespace maf {
namespace {

namespace v1 = ::onem2m::rsp::v1;
constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";

// FakeMef answers FetchCredential for one KeID, to callers whose identity is the MAF-ID.
class FakeMef final : public v1::MefCredentialService::Service {
 public:
  grpc::Status FetchCredential(grpc::ServerContext* ctx, const v1::FetchCredentialRequest* req,
                               v1::FetchCredentialResponse* out) override {
    ++calls;
    if (!grpcutil::PeerHasIdentity(*ctx, kMaf)) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "not the MAF-ID");
    }
    if (req->suid() != 21) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "suid");
    if (req->ke_id() != ke_id) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such KeID");
    out->set_km(std::string(32, 'm'));
    out->set_enrolee_id("C-dev1");
    out->set_maf_id(maf_id);
    out->mutable_expires_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
    out->set_ke_id(ke_id);
    return grpc::Status::OK;
  }
  std::string ke_id = *crypto::FormatKeyId(std::string(16, 'E'), kMef);
  std::string maf_id = kMaf;
  std::atomic<int> calls{0};
};

class MefClientFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.Start({&mef_}); }
  MefClientFetcher Fetcher(const std::string& identity) {
    return MefClientFetcher(env_.Channel(identity), kMaf);
  }
  absl::Time Deadline() { return absl::Now() + absl::Seconds(5); }

  MtlsTestEnv env_;
  FakeMef mef_;
};

TEST_F(MefClientFetcherTest, FetchesKmOverMutualTls) {
  MefClientFetcher f = Fetcher(kMaf);
  absl::StatusOr<FetchedCredential> c = f.Fetch(mef_.ke_id, Deadline());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->km.Equals(SecretBytes::Copy(std::string(32, 'm'))));
  EXPECT_EQ(c->enrolee_id, "C-dev1");
  EXPECT_EQ(c->ke_id, mef_.ke_id);
  EXPECT_GT(c->expires_at, absl::Now());
}

TEST_F(MefClientFetcherTest, PassesMefStatusesThrough) {
  MefClientFetcher f = Fetcher(kMaf);
  std::string other = *crypto::FormatKeyId(std::string(16, 'F'), kMef);
  EXPECT_EQ(f.Fetch(other, Deadline()).status().code(), absl::StatusCode::kNotFound);
  MefClientFetcher wrong = Fetcher("maf2.example.com");
  EXPECT_EQ(wrong.Fetch(mef_.ke_id, Deadline()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(MefClientFetcherTest, RefusesKmDerivedForAnotherMaf) {
  mef_.maf_id = "maf2.example.com";
  MefClientFetcher f = Fetcher(kMaf);
  EXPECT_EQ(f.Fetch(mef_.ke_id, Deadline()).status().code(), absl::StatusCode::kInternal);
}

TEST_F(MefClientFetcherTest, ResolverEndToEndOverGrpc) {
  std::unique_ptr<MemoryMafStore> store = MemoryMafStore::Create();
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  KmResolverOptions o;
  o.maf_fqdn = kMaf;
  o.fetchers[kMef] = std::make_shared<MefClientFetcher>(env_.Channel(kMaf), kMaf);
  o.store = store.get();
  o.envelope = &envelope;
  std::shared_ptr<KmResolver> r = *KmResolver::Create(std::move(o));
  absl::StatusOr<ResolvedKm> km = r->Resolve(mef_.ke_id, Deadline());
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->km_id, *crypto::DeriveKmId(SecretBytes::Copy(std::string(32, 'm')), kMaf));
  EXPECT_TRUE(r->Resolve(km->km_id, Deadline()).ok());
  EXPECT_EQ(mef_.calls, 1);
  EXPECT_TRUE(r->WaitIdle(Deadline()));
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
