// File: tests/e2e/service_env.h
//
// ServiceEnv prepares what the real mef_server and maf_server binaries need to run in an e2e test
// (a temp directory, a test CA and leaf certificates, keyrings) and builds their command lines, so
// tests that start the binaries as child processes (process_runner.h) share one way to do it.
// Certificates: MEF "localhost" (clients dial 127.0.0.x and verify that name), MAF maf.local,
// admin admin.local, Target target.local. Loopback only.
//
//   ServiceEnv env = ServiceEnv::Create("listeners");
//   MefPorts mef = MefPorts::Pick();
//   ChildProcess p;
//   p.Start(env.MefArgv(mef, {"--store=memory"}), env.dir + "/mef.out", env.dir + "/mef.log");
//   ASSERT_TRUE(WaitReady(p, mef.ops, env.dir + "/mef.log", "mef_started").ok());
//   auto ch = env.Channel(mef.cred, "maf");   // mutual TLS as maf.local
#ifndef ONEM2M_TESTS_E2E_SERVICE_ENV_H_
#define ONEM2M_TESTS_E2E_SERVICE_ENV_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/testing/test_pki.h"
#include "tests/e2e/process_runner.h"

namespace onem2m::e2e {

inline constexpr char kEnvMefFqdn[] = "mef.local";
inline constexpr char kEnvMafFqdn[] = "maf.local";
inline constexpr char kEnvMefCertName[] = "localhost";

struct MefPorts {
  std::string host = "127.0.0.1";
  int tls = 0, dtls = 0, cred = 0, admin = 0, ops = 0;
  static MefPorts Pick();
};

struct MafPorts {
  int tls = 0, dtls = 0, key = 0, admin = 0, ops = 0;
  static MafPorts Pick();
};

class ServiceEnv {
 public:
  // Create makes a fresh directory with ca.crt, {mef,maf,admin,target}.{crt,key}, mef.kek, maf.kek.
  static ServiceEnv Create(const std::string& stem);

  // IssueLeaf (re)writes <stem>.crt/.key for `dns_name` from the current CA (atomically: each file
  // is written beside and renamed over the old one).
  void IssueLeaf(const std::string& stem, const std::string& dns_name) const;

  // MefArgv / MafArgv: the binary and its flags for `ports`, then `extra` (later flags win).
  std::vector<std::string> MefArgv(const MefPorts& ports, const std::vector<std::string>& extra,
                                   const std::string& cert_stem = "mef") const;
  std::vector<std::string> MafArgv(const MafPorts& ports, const std::string& mef_endpoints,
                                   const std::vector<std::string>& extra) const;

  // Channel dials host:port with mutual TLS as <stem>.crt, verifying `server_name`, fast retries.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& stem,
                                         const std::string& server_name = kEnvMefCertName,
                                         const std::string& host = "127.0.0.1") const;

  std::string dir;
  testing::TestPki pki;
};

// WaitReady polls http://127.0.0.1:<ops_port>/readyz until 200 and `started` is in the log.
absl::Status WaitReady(ChildProcess& p, int ops_port, const std::string& log,
                       const std::string& started, absl::Duration timeout = absl::Seconds(30));

// HttpGetBody returns the status line and body of GET http://127.0.0.1:<port><path> ("" on error).
std::string HttpGet(int port, const std::string& path, absl::Duration timeout);

// MefFetches sums onem2m_mef_credential_fetches_total over its outcomes on a MEF's /metrics.
double MefFetches(int mef_ops_port);

// AttemptUnknownKeId runs one MAF Handshake at 127.0.0.1:<maf_tls_port> with a fresh KeID of
// kEnvMefFqdn that no MEF knows: the MAF fetches it from a MEF (docs/protocol.md 6-7), the fetch
// fails and so does the handshake. Returns once the handshake has failed.
void AttemptUnknownKeId(int maf_tls_port);

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_SERVICE_ENV_H_
