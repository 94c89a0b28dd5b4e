#include "common/grpc/tls_file_watcher.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/grpc/mtls.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_pki.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"

namespace onem2m::grpcutil {
namespace {

using ::onem2m::testing::IsOk;

using onem2m::testing::TestPki;
namespace v1 = ::onem2m::rsp::v1;

TEST(ValidateTlsPemTest, AcceptsAMatchingPair) {
  TestPki pki = TestPki::Create();
  TestPki::Leaf leaf = pki.Issue("a.example");
  EXPECT_THAT(ValidateTlsPem({leaf.cert_pem, leaf.key_pem, pki.ca_pem()}, absl::Now()), IsOk());
  EXPECT_THAT(ValidateTlsPem({"", "", pki.ca_pem()}, absl::Now()), IsOk());  // CA only
}

TEST(ValidateTlsPemTest, RefusesBrokenFiles) {
  TestPki pki = TestPki::Create();
  TestPki::Leaf a = pki.Issue("a.example");
  TestPki::Leaf b = pki.Issue("b.example");
  const absl::Time now = absl::Now();
  absl::Status s = ValidateTlsPem({a.cert_pem, b.key_pem, pki.ca_pem()}, now);
  EXPECT_NE(s.message().find("does not match"), absl::string_view::npos) << s;
  s = ValidateTlsPem({a.cert_pem.substr(0, a.cert_pem.size() / 2), a.key_pem, pki.ca_pem()}, now);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;  // truncated certificate
  s = ValidateTlsPem({a.cert_pem, "garbage", pki.ca_pem()}, now);
  EXPECT_NE(s.message().find("private key"), absl::string_view::npos) << s;
  s = ValidateTlsPem({a.cert_pem, a.key_pem, ""}, now);
  EXPECT_NE(s.message().find("CA bundle"), absl::string_view::npos) << s;
  // TestPki certificates last 30 days.
  s = ValidateTlsPem({a.cert_pem, a.key_pem, pki.ca_pem()}, now + absl::Hours(24 * 40));
  EXPECT_NE(s.message().find("expired"), absl::string_view::npos) << s;
}

class Echo final : public v1::MafKeyService::Service {
  grpc::Status GetKey(grpc::ServerContext*, const v1::GetKeyRequest*,
                      v1::GetKeyResponse*) override {
    return grpc::Status::OK;
  }
};

std::atomic<int> g_reloads{0}, g_rejections{0};

// A server whose credentials come from files on disk picks up a renewed certificate for new
// handshakes, keeps open connections, and refuses a broken renewal (keeping the last good one).
class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetTlsReloadInterval(absl::Milliseconds(300));
    SetTlsReloadObserver([](bool ok) { (ok ? g_reloads : g_rejections)++; });
    dir_ = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/reload";
    mkdir(dir_.c_str(), 0700);
    Write("ca.crt", ca1_.ca_pem());
    TestPki::Leaf server = ca1_.Issue("localhost");
    Write("server.key", server.key_pem);
    Write("server.crt", server.cert_pem);
    auto creds = MakeServerCredentials({Path("server.crt"), Path("server.key"), Path("ca.crt")});
    ASSERT_THAT(creds, IsOk());
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", *creds, &port_);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Path(const std::string& n) { return dir_ + "/" + n; }
  // Write replaces a file atomically, as Kubernetes updates a Secret volume.
  void Write(const std::string& n, const std::string& c) {
    ASSERT_THAT(TestPki::WriteFile(Path(n) + ".tmp", c), IsOk());
    ASSERT_EQ(std::rename((Path(n) + ".tmp").c_str(), Path(n).c_str()), 0);
  }
  // Channel trusts only `ca` and presents a client certificate `ca` issued.
  std::shared_ptr<grpc::Channel> Channel(const TestPki& ca) {
    TestPki::Leaf client = ca.Issue("client.example");
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ca.ca_pem();
    o.pem_cert_chain = client.cert_pem;
    o.pem_private_key = client.key_pem;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_), grpc::SslCredentials(o),
                                     args);
  }
  static bool Call(const std::shared_ptr<grpc::Channel>& ch) {
    auto stub = v1::MafKeyService::NewStub(ch);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::GetKeyRequest req;
    v1::GetKeyResponse resp;
    return stub->GetKey(&ctx, req, &resp).ok();
  }
  // Eventually retries `pred` for up to 10 s (each try may be a TLS handshake, hence 100 ms apart).
  template <typename F>
  static bool Eventually(F pred) {
    return ::onem2m::testing::WaitFor(pred, absl::Seconds(10), absl::Milliseconds(100));
  }

  std::string dir_;
  TestPki ca1_ = TestPki::Create("ca one");
  TestPki ca2_ = TestPki::Create("ca two");
  Echo service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(ReloadTest, RenewedFilesServeNewHandshakesAndBrokenOnesAreRefused) {
  std::shared_ptr<grpc::Channel> old_client = Channel(ca1_);
  ASSERT_TRUE(Call(old_client));
  EXPECT_FALSE(Call(Channel(ca2_)));  // the server neither trusts nor presents CA two yet

  // Renewal: a certificate from CA two; the server trusts clients of both CAs.
  TestPki::Leaf renewed = ca2_.Issue("localhost");
  const int reloads = g_reloads;
  Write("ca.crt", ca1_.ca_pem() + ca2_.ca_pem());
  Write("server.key", renewed.key_pem);
  Write("server.crt", renewed.cert_pem);
  EXPECT_TRUE(Eventually([&] { return Call(Channel(ca2_)); }));
  EXPECT_GT(g_reloads, reloads);
  EXPECT_TRUE(Call(old_client));  // its connection was opened before and stays up

  // A broken renewal (a key that does not match) is refused; CA two clients still get in.
  const int rejections = g_rejections;
  Write("server.key", ca2_.Issue("localhost").key_pem);
  EXPECT_TRUE(Eventually([&] { return g_rejections > rejections; }));
  EXPECT_TRUE(Call(Channel(ca2_)));
  // Fixing the files is picked up again.
  TestPki::Leaf fixed = ca2_.Issue("localhost");
  Write("server.key", fixed.key_pem);
  Write("server.crt", fixed.cert_pem);
  const int before_fix = g_reloads;
  EXPECT_TRUE(Eventually([&] { return g_reloads > before_fix; }));
  EXPECT_TRUE(Call(Channel(ca2_)));
}

}  // namespace
}  // namespace onem2m::grpcutil
