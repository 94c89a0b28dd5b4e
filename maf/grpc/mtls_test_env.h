// File: maf/grpc/mtls_test_env.h
//
// MtlsTestEnv runs a real gRPC server on 127.0.0.1:0 with mutual TLS (a throwaway CA from
// common/testing/test_pki.h) and makes client channels presenting a certificate for any DNS name,
// so the services' identity checks are tested end to end.
//
//   MtlsTestEnv env;
//   env.Start({&service});
//   auto stub = v1::MafKeyService::NewStub(env.Channel("target-a.example.com"));
#ifndef ONEM2M_MAF_GRPC_MTLS_TEST_ENV_H_
#define ONEM2M_MAF_GRPC_MTLS_TEST_ENV_H_

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/grpc/mtls.h"
#include "common/testing/test_pki.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace maf {

class MtlsTestEnv {
 public:
  MtlsTestEnv() : pki_(testing::TestPki::Create()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = tmp != nullptr ? tmp : "/tmp";
    Write("ca.crt", pki_.ca_pem());
  }
  ~MtlsTestEnv() {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Start serves `services` on a fresh port; the server's certificate names "localhost".
  void Start(const std::vector<grpc::Service*>& services) {
    WriteLeaf("server", "localhost");
    auto creds =
        grpcutil::MakeServerCredentials({Path("server.crt"), Path("server.key"), Path("ca.crt")});
    ASSERT_TRUE(creds.ok()) << creds.status();
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", *creds, &port_);
    for (grpc::Service* s : services) b.RegisterService(s);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  // Channel returns a channel presenting a client certificate for `dns_name` ("" = none).
  std::shared_ptr<grpc::Channel> Channel(const std::string& dns_name) {
    grpcutil::TlsFiles files{"", "", Path("ca.crt")};
    if (!dns_name.empty()) {
      WriteLeaf(dns_name, dns_name);
      files.cert_file = Path(dns_name + ".crt");
      files.key_file = Path(dns_name + ".key");
    }
    auto creds = grpcutil::MakeChannelCredentials(files);
    EXPECT_TRUE(creds.ok()) << creds.status();
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_), *creds, args);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // address is the server's "127.0.0.1:port" (after Start).
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void Write(const std::string& name, const std::string& contents) {
    ASSERT_TRUE(testing::TestPki::WriteFile(Path(name), contents).ok());
  }
  void WriteLeaf(const std::string& stem, const std::string& dns_name) {
    testing::TestPki::Leaf leaf = pki_.Issue(dns_name);
    Write(stem + ".crt", leaf.cert_pem);
    Write(stem + ".key", leaf.key_pem);
  }

  testing::TestPki pki_;
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_GRPC_MTLS_TEST_ENV_H_
