#include "maf/mef_client/mef_credential_client.h"

#include <atomic>

#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/grpc/mtls.h"
#include "common/testing/mtls_env.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/testing/fake_mef.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using testing::FakeMef;
constexpr const char* kMaf = testing::kFakeMaf;
constexpr const char* kMef = testing::kFakeMef;

class MefCredentialClientTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.Start({&mef_}); }
  MefCredentialClient Client(const std::string& identity) {
    return MefCredentialClient(env_.Channel(identity), kMaf);
  }
  absl::Time Deadline() { return absl::Now() + absl::Seconds(5); }

  ::onem2m::testing::MtlsEnv env_;
  FakeMef mef_;
};

TEST_F(MefCredentialClientTest, FetchesKmOverMutualTls) {
  MefCredentialClient f = Client(kMaf);
  absl::StatusOr<FetchedCredential> c = f.Fetch(mef_.ke_id, Deadline());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->km.Equals(SecretBytes::Copy(std::string(32, 'm'))));
  EXPECT_EQ(c->enrolee_id, "C-dev1");
  EXPECT_EQ(c->ke_id, mef_.ke_id);
  EXPECT_GT(c->expires_at, absl::Now());
}

TEST_F(MefCredentialClientTest, PassesMefStatusesThrough) {
  MefCredentialClient f = Client(kMaf);
  std::string other = *crypto::FormatKeyId(std::string(16, 'F'), kMef);
  EXPECT_EQ(f.Fetch(other, Deadline()).status().code(), absl::StatusCode::kNotFound);
  MefCredentialClient wrong = Client("maf2.example.com");
  EXPECT_EQ(wrong.Fetch(mef_.ke_id, Deadline()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(MefCredentialClientTest, RefusesKmDerivedForAnotherMaf) {
  mef_.maf_id = "maf2.example.com";
  MefCredentialClient f = Client(kMaf);
  EXPECT_EQ(f.Fetch(mef_.ke_id, Deadline()).status().code(), absl::StatusCode::kInternal);
}

TEST_F(MefCredentialClientTest, ResolverEndToEndOverGrpc) {
  std::unique_ptr<MemoryMafStore> store = MemoryMafStore::Create();
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  KmResolverOptions o;
  o.maf_fqdn = kMaf;
  o.fetchers[kMef] = std::make_shared<MefCredentialClient>(env_.Channel(kMaf), kMaf);
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
