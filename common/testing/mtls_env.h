// File: common/testing/mtls_env.h
//
// MtlsEnv: the one mutual-TLS test environment. It makes a throwaway CA (common/testing/
// test_pki.h), a server certificate for "localhost" and, on demand, client certificates for any
// DNS name (a MAF-ID, a Target, an operator), writes them under a directory and builds gRPC
// credentials and channels; it can also run the gRPC server itself, so the services' identity
// checks are tested end to end.
//
//   MtlsEnv env;                                            // files under $TEST_TMPDIR
//   builder.AddListeningPort("127.0.0.1:0", env.ServerCredentials(), &port);
//   auto channel = env.Channel(port, "maf.example.com");   // "" = no client certificate
//
//   MtlsEnv env;
//   env.Start({&service});                                  // serves on 127.0.0.1:0
//   auto stub = v1::MafKeyService::NewStub(env.Channel("target-a.example.com"));
#ifndef ONEM2M_COMMON_TESTING_MTLS_ENV_H_
#define ONEM2M_COMMON_TESTING_MTLS_ENV_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/testing/test_pki.h"

namespace onem2m {
namespace testing {

// TempDir returns $TEST_TMPDIR, or /tmp.
std::string TempDir();

class MtlsEnv {
 public:
  // `dir` must exist and be writable. Aborts on failure (tests only).
  explicit MtlsEnv(std::string dir = TempDir());
  ~MtlsEnv();  // shuts down the server Start made, if any
  MtlsEnv(const MtlsEnv&) = delete;
  MtlsEnv& operator=(const MtlsEnv&) = delete;

  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;

  // Channel connects to 127.0.0.1:`port` presenting a certificate for `client_dns` (none when
  // empty). Reconnect backoff is shortened so "server comes up late" tests run quickly; a fresh
  // channel is made per call (no subchannel sharing), so benchmark callers do not share one.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& client_dns) const;
  // Channel with the caller's arguments (e.g. MefChannelArguments(), as the MAF uses), plus the
  // TLS name override and a local subchannel pool.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& client_dns,
                                         grpc::ChannelArguments args) const;

  // Start serves `services` with ServerCredentials on 127.0.0.1:0 (call once); port() is then
  // its port and Channel(client_dns) a channel to it.
  void Start(const std::vector<grpc::Service*>& services);
  int port() const { return port_; }
  // address is the server's "127.0.0.1:port" (after Start).
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::shared_ptr<grpc::Channel> Channel(const std::string& client_dns) const {
    return Channel(port_, client_dns);
  }

  // Path names a file in the environment's directory (for a test's own files).
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  TestPki pki_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace testing
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TESTING_MTLS_ENV_H_
