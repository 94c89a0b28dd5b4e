// End-to-end tests of the MAF refusing (docs/protocol.md 5-7; fixture in maf_e2e_fixture.h): a MAF
// whose certificate names another MAF-ID, a credential revoked by an operator at the MAF, an
// enrolee revoked at the MEF, and first contacts while the MEF is down (fast, retryable) until it
// is back.
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/crypto/key_id.h"
#include "common/testing/wait_for.h"
#include "maf/grpc/maf_admin_service.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "tests/e2e/maf_e2e_fixture.h"
#include "tests/e2e/tcp_proxy.h"

namespace onem2m::e2e {
namespace {

using ::onem2m::testing::IsOk;
using ::testing::Not;

class MafE2eRefusalTest : public MafE2eFixture {};

TEST_F(MafE2eRefusalTest, MafWhoseCertificateNamesAnotherMafIdIsRefused) {
  maf_ = StartMaf("other-maf.local");
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-2");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  absl::Time start = absl::Now();
  auto c = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
  EXPECT_THAT(c, Not(IsOk()));
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
}

// An operator revokes a device's credential at the MAF (MafAdminService.RevokeCredential, what
// `rsp_admin maf credentials revoke` calls; PgMafStore at the MAF): the KmID and the KeID that
// worked before are refused on the next handshake, though the MEF would still hand the Km out.
TEST_F(MafE2eRefusalTest, AdminRevokedCredentialIsRefusedOnTheNextHandshake) {
  maf_ = StartMaf(kMafFqdn, /*pg_store=*/true);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-6");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  {
    auto c = enrolee::MafClient::ConnectWithRetry(MafOptions(dev.ke_id, cred->km), DeviceRetry());
    ASSERT_THAT(c, IsOk());
    ASSERT_THAT((*c)->RegisterClient(cred->km_id), IsOk());
  }
  ASSERT_THAT(enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km)), IsOk());  // cached Km

  // The MAF's admin API, wired as services/maf/maf_server.cc wires it.
  maf::MafAdminServiceOptions ao;
  ao.store = maf_->store.get();
  ao.admins = {"ops.local"};
  std::shared_ptr<maf::KmResolver> resolver = maf_->resolver;
  ao.on_client_revoked = [resolver](const crypto::KeyId& km_id) { resolver->ForgetKmId(km_id); };
  maf::MafAdminServiceImpl admin(std::move(ao));
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", mtls_->ServerCredentials(), &port);
  b.RegisterService(&admin);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = rsp::v1::MafAdminService::NewStub(mtls_->Channel(port, "ops.local"));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  rsp::v1::RevokeCredentialRequest req;
  req.set_km_id(cred->km_id);
  req.set_reason("device stolen");
  rsp::v1::MafCredential revoked;
  grpc::Status st = stub->RevokeCredential(&ctx, req, &revoked);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(revoked.state(), rsp::v1::MAF_CREDENTIAL_STATE_REVOKED);
  EXPECT_EQ(revoked.ke_id(), dev.ke_id);
  EXPECT_EQ(revoked.enrolee_id(), "C-dev-6");

  EXPECT_THAT(enrolee::MafClient::Connect(MafOptions(cred->km_id, cred->km)), Not(IsOk()));
  EXPECT_THAT(enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km)), Not(IsOk()));
  EXPECT_EQ(maf_->store->GetCredentialByKeId(*crypto::KeyId::Parse(dev.ke_id)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MafE2eRefusalTest, RevokedEnroleeKeIdIsRefused) {
  maf_ = StartMaf(kMafFqdn);
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-3");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  ASSERT_THAT(mef_->store->SetState("dev-3", mef::EnroleeState::kRevoked), IsOk());
  auto c = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
  EXPECT_THAT(c, Not(IsOk()));
}

TEST_F(MafE2eRefusalTest, MefDownFailsCleanlyThenRecovers) {
  // The MAF reaches the MEF through a relay that counts its connection attempts.
  TcpProxy relay("127.0.0.1", grpc_port_);
  maf_ = StartMaf(kMafFqdn, /*pg_store=*/false, /*watch=*/false, relay.port());
  ASSERT_NE(maf_, nullptr);
  enrolee::BootstrapResult dev = Bootstrap("dev-4");
  auto cred = enrolee::DeriveMafCredential(dev.ke, dev.maf_id, kMafFqdn);
  ASSERT_THAT(cred, IsOk());
  int port = grpc_port_;
  StopGrpc();
  // docs/protocol.md 7 (issue 11 item 4): while the MEF is down first contacts fail fast (not after
  // the MAF's 2 s fetch deadline) with internal_error, which the device sees as UNAVAILABLE
  // (retry). Each try after the first waits for the MAF's next attempt to reach the MEF (its
  // reconnect backoff), so the tries meet the channel and the breaker in different phases.
  for (int i = 0; i < 3; ++i) {
    absl::Time start = absl::Now();
    auto down = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
    ASSERT_THAT(down, Not(IsOk()));
    EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500)) << "waited for a MEF known down";
    ASSERT_TRUE(relay.WaitForAccepted(relay.accepted() + 1, absl::Seconds(10)))
        << "the MAF stopped trying to reach the MEF";
  }
  StartGrpc(port);
  ASSERT_NE(grpc_, nullptr);
  const absl::Time back = absl::Now();
  const bool ok = ::onem2m::testing::WaitFor(
      [&] {
        auto c = enrolee::MafClient::Connect(MafOptions(dev.ke_id, cred->km));
        return c.ok() && (*c)->RegisterClient(cred->km_id).ok();
      },
      absl::Seconds(20), absl::Milliseconds(50));
  EXPECT_TRUE(ok);
  // Within a second of the MEF's return (reconnect backoff <= 300 ms, breaker 500 ms), plus slack
  // for a loaded test machine.
  EXPECT_LT(absl::Now() - back, absl::Seconds(2)) << absl::Now() - back;
}

}  // namespace
}  // namespace onem2m::e2e
