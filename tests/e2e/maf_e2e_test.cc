// End-to-end tests of the MAF path that succeed (docs/protocol.md 5-7; fixture in
// maf_e2e_fixture.h): first contact and KmID contact over TLS and DTLS, TLS 1.3 with the importer,
// key registration and retrieval by Targets, and a MEF revocation reaching the MAF.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "common/testing/wait_for.h"
#include "maf/grpc/maf_key_service.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "tests/e2e/maf_e2e_fixture.h"

namespace onem2m::e2e {
namespace {

using ::onem2m::testing::IsOk;
using ::testing::Not;

class MafE2eTest : public MafE2eFixture {};

// PgMafStore at the MAF, DTLS transport, and a revocation at the MEF reaching the MAF through
// WatchRevocations: the KmID that worked before is refused afterwards.
TEST_F(MafE2eTest, PgStoreDtlsAndRevocationReachesMaf) {
  maf_ = StartMaf(kMafFqdn, /*pg_store=*/true, /*watch=*/true);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-5");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  {
    auto c = enrolee::MafClient::ConnectWithRetry(
        MafOptions(dev.ke_id, cred->km, tls::Transport::kDtls), DeviceRetry());
    ASSERT_THAT(c, IsOk());
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
    EXPECT_EQ(reg->assigned_symm_key_id, cred->km_id);
    auto key = (*c)->RegisterKey({"backend.local"}, 32);
    ASSERT_THAT(key, IsOk());
  }
  {
    auto c = enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km));
    ASSERT_THAT(c, IsOk());
  }
  ASSERT_THAT(mef_->store->SetState("dev-5", mef::EnroleeState::kRevoked), IsOk());
  EXPECT_TRUE(::onem2m::testing::WaitFor(
      [&] { return !enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km)).ok(); },
      absl::Seconds(15), absl::Milliseconds(200)));
}

// TLS 1.3 with the RFC 9258 importer at both the MEF and the MAF (docs/protocol.md 2a): a device
// enrols over TLS 1.3 and makes its MAF first contact (KeID, Km fetched from the MEF) and a later
// KmID contact over TLS 1.3; a TLS 1.2 device uses the same ports.
class MafTls13E2eTest : public MafE2eFixture {
 protected:
  tls::Tls13Options Tls13() const override {
    tls::Tls13Options o;
    o.enabled = true;
    o.importer = tls::Tls13Importer::kBoth;
    return o;
  }
};

TEST_F(MafTls13E2eTest, EnrolmentAndMafFirstContactOverTls13WithImporter) {
  maf_ = StartMaf(kMafFqdn);
  ASSERT_NE(maf_, nullptr);
  tls::Tls13Options device;
  device.enabled = true;
  device.importer = tls::Tls13Importer::kOn;
  enrolee::BootstrapResult dev = Bootstrap("dev-13", device);
  ASSERT_FALSE(dev.ke_id.empty());
  EXPECT_EQ(dev.cipher, "TLS_AES_128_GCM_SHA256");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  {
    enrolee::MafClientOptions o = MafOptions(dev.ke_id, cred->km);
    o.tls13 = device;
    auto c = enrolee::MafClient::ConnectWithRetry(o, DeviceRetry());
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ((*c)->session().protocol_version(), TLS1_3_VERSION);
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
    EXPECT_EQ(reg->assigned_symm_key_id, cred->km_id);
  }
  {
    enrolee::MafClientOptions o = MafOptions(cred->km_id, cred->km);
    o.tls13 = device;
    auto c = enrolee::MafClient::Connect(o);
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ((*c)->session().protocol_version(), TLS1_3_VERSION);
  }
  // A TLS 1.2 device on the same ports.
  enrolee::BootstrapResult old = Bootstrap("dev-12");
  ASSERT_FALSE(old.ke_id.empty());
  EXPECT_NE(old.cipher, "TLS_AES_128_GCM_SHA256");
  auto old_cred = enrolee::DeriveMafCredential(old.ke, old.maf_id, kMafFqdn);
  ASSERT_THAT(old_cred, IsOk());
  auto c = enrolee::MafClient::ConnectWithRetry(MafOptions(old.ke_id, old_cred->km), DeviceRetry());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ((*c)->session().protocol_version(), TLS1_2_VERSION);
}

TEST_F(MafE2eTest, RegisterKeyAndTargetRetrievesIt) {
  maf_ = StartMaf(kMafFqdn);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-1");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());

  std::string key_id;
  SecretBytes kc;
  {
    auto c = enrolee::MafClient::ConnectWithRetry(MafOptions(dev.ke_id, cred->km),
                                                  DeviceRetry());  // first contact: KeID
    ASSERT_THAT(c, IsOk());
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
    EXPECT_EQ(reg->assigned_symm_key_id, cred->km_id);
    EXPECT_EQ(reg->maf_client_id, "C-dev-1");
    auto key = (*c)->RegisterKey({"C-target-1", "backend.local"}, 34);
    ASSERT_THAT(key, IsOk());
    EXPECT_TRUE(absl::EndsWith(key->key_id, "@maf.local")) << key->key_id;
    key_id = key->key_id;
    kc = std::move(key->kc);
  }
  // Later contact with KmID.
  {
    auto c = enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km));
    ASSERT_THAT(c, IsOk());
    auto reg = (*c)->RegisterClient(cred->km_id);
    ASSERT_THAT(reg, IsOk());
  }
  // The Target (another Enrolee) retrieves the key over its own MAF session.
  enrolee::BootstrapResult target = Bootstrap("target-1");
  auto tcred = enrolee::DeriveMafCredential(target.ke, target.maf_id, kMafFqdn);
  ASSERT_THAT(tcred, IsOk());
  auto t = enrolee::MafClient::ConnectWithRetry(MafOptions(target.ke_id, tcred->km), DeviceRetry());
  ASSERT_THAT(t, IsOk());
  ASSERT_THAT((*t)->RegisterClient(tcred->km_id), IsOk());
  auto got = (*t)->RetrieveKey(key_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->key.Reveal(), kc.Reveal());
  EXPECT_EQ(got->suid, 34);
  // A backend Target retrieves it over gRPC MafKeyService with mutual TLS.
  {
    maf::MafKeyServiceImpl keys(maf_->store.get(), &maf_envelope_, kMafFqdn);
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", mtls_->ServerCredentials(), &port);
    b.RegisterService(&keys);
    std::unique_ptr<grpc::Server> ks = b.BuildAndStart();
    ASSERT_NE(ks, nullptr);
    for (const auto& [dns, want_ok] : {std::pair<std::string, bool>{"backend.local", true},
                                       std::pair<std::string, bool>{"stranger.local", false}}) {
      auto stub = rsp::v1::MafKeyService::NewStub(mtls_->Channel(port, dns));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      rsp::v1::GetKeyRequest req;
      req.set_key_id(key_id);
      rsp::v1::GetKeyResponse resp;
      grpc::Status st = stub->GetKey(&ctx, req, &resp);
      EXPECT_EQ(st.ok(), want_ok) << dns << ": " << st.error_message();
      if (st.ok()) {
        EXPECT_EQ(resp.key(), std::string(kc.Reveal()));
        EXPECT_EQ(resp.suid(), 34u);
      }
    }
    ks->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  // The registering device itself is not a target.
  auto d = enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km));
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT((*d)->RetrieveKey(key_id), Not(IsOk()));
}

}  // namespace
}  // namespace onem2m::e2e
