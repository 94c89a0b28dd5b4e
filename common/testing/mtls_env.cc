#include "common/testing/mtls_env.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "common/grpc/mtls.h"

namespace onem2m {
namespace testing {
namespace {

void MustWrite(const std::string& path, const std::string& contents) {
  if (!TestPki::WriteFile(path, contents).ok()) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

}  // namespace

std::string TempDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d != nullptr ? d : "/tmp";
}

MtlsEnv::MtlsEnv(std::string dir) : dir_(std::move(dir)), pki_(TestPki::Create()) {
  MustWrite(dir_ + "/ca.crt", pki_.ca_pem());
  TestPki::Leaf server = pki_.Issue("localhost");
  MustWrite(dir_ + "/server.crt", server.cert_pem);
  MustWrite(dir_ + "/server.key", server.key_pem);
}

MtlsEnv::~MtlsEnv() {
  if (server_ != nullptr) server_->Shutdown();
}

void MtlsEnv::Start(const std::vector<grpc::Service*>& services) {
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", ServerCredentials(), &port_);
  for (grpc::Service* s : services) b.RegisterService(s);
  server_ = b.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    std::fprintf(stderr, "MtlsEnv: cannot start the gRPC server\n");
    std::abort();
  }
}

std::shared_ptr<grpc::ServerCredentials> MtlsEnv::ServerCredentials() const {
  auto creds = grpcutil::MakeServerCredentials(
      {dir_ + "/server.crt", dir_ + "/server.key", dir_ + "/ca.crt"});
  if (!creds.ok()) std::abort();
  return *creds;
}

std::shared_ptr<grpc::Channel> MtlsEnv::Channel(int port, const std::string& client_dns) const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // The minimum backoff is also each connection attempt's timeout: 1 s, or a loaded test machine
  // fails the mTLS handshake ("timed out before receiving SETTINGS frame").
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return Channel(port, client_dns, std::move(args));
}

std::shared_ptr<grpc::Channel> MtlsEnv::Channel(int port, const std::string& client_dns,
                                                grpc::ChannelArguments args) const {
  grpcutil::TlsFiles files{"", "", dir_ + "/ca.crt"};
  if (!client_dns.empty()) {
    const std::string stem = dir_ + "/client-" + client_dns;
    TestPki::Leaf leaf = pki_.Issue(client_dns);
    MustWrite(stem + ".crt", leaf.cert_pem);
    MustWrite(stem + ".key", leaf.key_pem);
    files.cert_file = stem + ".crt";
    files.key_file = stem + ".key";
  }
  auto creds = grpcutil::MakeChannelCredentials(files);
  if (!creds.ok()) std::abort();
  args.SetSslTargetNameOverride("localhost");
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), *creds, args);
}

}  // namespace testing
}  // namespace onem2m
