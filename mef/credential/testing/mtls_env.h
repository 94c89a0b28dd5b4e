// File: mef/credential/testing/mtls_env.h
//
// MtlsEnv: the mutual-TLS plumbing the credential tests and benchmark share. It makes a throwaway
// CA (common/testing/test_pki.h), a server certificate for "localhost" and, on demand, client
// certificates for any MAF-ID, writes them under a directory and builds gRPC credentials/channels.
//
//   MtlsEnv env(TempDir());
//   builder.AddListeningPort("127.0.0.1:0", env.ServerCredentials(), &port);
//   auto channel = env.Channel(port, "maf.example.com");   // "" = no client certificate
#ifndef ONEM2M_MEF_CREDENTIAL_TESTING_MTLS_ENV_H_
#define ONEM2M_MEF_CREDENTIAL_TESTING_MTLS_ENV_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/testing/test_pki.h"

namespace onem2m {
namespace mef {
namespace testing {

class MtlsEnv {
 public:
  // `dir` must exist and be writable. Aborts on failure (tests only).
  explicit MtlsEnv(std::string dir);

  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;

  // Channel connects to 127.0.0.1:`port` presenting a certificate for `client_dns` (none when
  // empty). Reconnect backoff is shortened so "server comes up late" tests run quickly; a fresh
  // channel is made per call (no subchannel sharing), so benchmark callers do not share one.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& client_dns) const;
  // Channel with the caller's arguments (e.g. MefChannelArguments(), as the MAF uses), plus the
  // TLS name override and a local subchannel pool.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& client_dns,
                                         grpc::ChannelArguments args) const;

 private:
  std::string dir_;
  onem2m::testing::TestPki pki_;
};

// TempDir returns $TEST_TMPDIR, or /tmp.
std::string TempDir();

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_TESTING_MTLS_ENV_H_
