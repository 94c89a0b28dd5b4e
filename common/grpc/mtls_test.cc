#include "common/grpc/mtls.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "common/testing/test_pki.h"
#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"

namespace onem2m::grpcutil {
namespace {

using onem2m::testing::TestPki;
namespace v1 = ::onem2m::rsp::v1;

// Echo service: answers the caller's DNS identities in client_id, so the test sees what the
// server saw.
class WhoAmI final : public v1::MafKeyService::Service {
  grpc::Status GetKey(grpc::ServerContext* ctx, const v1::GetKeyRequest*,
                      v1::GetKeyResponse* out) override {
    for (const std::string& n : PeerDnsNames(*ctx)) out->add_target_ids(n);
    return grpc::Status::OK;
  }
};

class MtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp");
    pki_ = std::make_unique<TestPki>(TestPki::Create());
    Write("ca.crt", pki_->ca_pem());
    TestPki::Leaf server = pki_->Issue("localhost");
    Write("server.crt", server.cert_pem);
    Write("server.key", server.key_pem);
    TestPki::Leaf client = pki_->Issue("maf.example.com");
    Write("client.crt", client.cert_pem);
    Write("client.key", client.key_pem);
    auto creds = MakeServerCredentials({Path("server.crt"), Path("server.key"), Path("ca.crt")});
    ASSERT_TRUE(creds.ok()) << creds.status();
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", *creds, &port_);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Path(const std::string& n) { return dir_ + "/" + n; }
  void Write(const std::string& n, const std::string& c) {
    ASSERT_TRUE(TestPki::WriteFile(Path(n), c).ok());
  }
  grpc::Status Call(std::shared_ptr<grpc::ChannelCredentials> creds, v1::GetKeyResponse* out) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto ch = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_), creds, args);
    auto stub = v1::MafKeyService::NewStub(ch);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetKeyRequest req;
    return stub->GetKey(&ctx, req, out);
  }

  std::string dir_;
  std::unique_ptr<TestPki> pki_;
  WhoAmI service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(MtlsTest, ServerSeesClientDnsName) {
  auto creds = MakeChannelCredentials({Path("client.crt"), Path("client.key"), Path("ca.crt")});
  ASSERT_TRUE(creds.ok()) << creds.status();
  v1::GetKeyResponse out;
  grpc::Status s = Call(*creds, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(out.target_ids_size(), 1);
  EXPECT_EQ(out.target_ids(0), "maf.example.com");
}

TEST_F(MtlsTest, ClientWithoutCertificateIsRefused) {
  auto creds = MakeChannelCredentials({"", "", Path("ca.crt")});
  ASSERT_TRUE(creds.ok());
  v1::GetKeyResponse out;
  EXPECT_FALSE(Call(*creds, &out).ok());
}

TEST_F(MtlsTest, ClientFromAnotherCaIsRefused) {
  TestPki other = TestPki::Create("other ca");
  TestPki::Leaf rogue = other.Issue("maf.example.com");
  Write("rogue.crt", rogue.cert_pem);
  Write("rogue.key", rogue.key_pem);
  auto creds = MakeChannelCredentials({Path("rogue.crt"), Path("rogue.key"), Path("ca.crt")});
  ASSERT_TRUE(creds.ok());
  v1::GetKeyResponse out;
  EXPECT_FALSE(Call(*creds, &out).ok());
}

TEST(MtlsFilesTest, MissingFileNamesThePath) {
  auto creds = MakeServerCredentials({"/nonexistent/a.crt", "/x", "/y"});
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("/nonexistent/a.crt"), std::string::npos);
}

}  // namespace
}  // namespace onem2m::grpcutil
