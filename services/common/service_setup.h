// File: services/common/service_setup.h
//
// Start-up and shutdown steps the MEF and MAF binaries share: a failed option stops start-up with
// a message naming it; logging from flags; the suite flags, keyring and FQDNs; the gRPC
// server with mutual TLS and health checking; SIGTERM/SIGINT handling.
//
//   ServiceSetup setup("mef_server");
//   setup.ConfigureLogging(level_flag, format_flag, audit_flag);
//   sigset_t signals = BlockTerminationSignals();      // before any thread starts
//   ...
//   int sig = WaitForTermination(signals);
#ifndef ONEM2M_SERVICES_COMMON_SERVICE_SETUP_H_
#define ONEM2M_SERVICES_COMMON_SERVICE_SETUP_H_

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/grpc/mtls.h"
#include "common/net/socket_util.h"
#include "common/ops/ops_server.h"
#include "common/pg/pool.h"
#include "common/tls/psk_config.h"

namespace onem2m::services {

class ServiceSetup {
 public:
  explicit ServiceSetup(std::string service) : service_(std::move(service)) {}

  // Die logs and prints "<service>: --<option>: <status>" and exits with code 2.
  [[noreturn]] void Die(absl::string_view option, const absl::Status& status) const;

  // ConfigureLogging applies --log_level, --log_format and --audit_log (dies on bad values).
  void ConfigureLogging(const std::string& level, const std::string& format,
                        const std::string& audit_path) const;

  // RequireFqdn returns `value` if it is a lower-case ASCII FQDN (PROTOCOL.md 5), else dies
  // naming `option`.
  std::string RequireFqdn(absl::string_view option, const std::string& value) const;

  // LoadEnvelope loads the key-encryption keyring (file or directory) named by --kek_file and
  // returns the envelope that seals secrets at rest, or dies naming the option.
  crypto::Envelope LoadEnvelope(const std::string& kek_file) const;

  // CipherSuites parses a comma list of suite names for `transport` (empty: the PROTOCOL.md
  // defaults, returned as an empty list), dying naming `suites_flag` on a forbidden suite.
  std::vector<tls::CipherSuite> CipherSuites(tls::Transport transport, const std::string& suites,
                                             absl::string_view suites_flag) const;

  // StartOps serves /healthz, /readyz (ready while `store_health` is OK) and /metrics on `address`
  // (empty: no ops port), with the pool gauges when `pool` is not null. Dies naming --ops_listen.
  void StartOps(ops::OpsServer& ops, const std::string& address,
                std::function<absl::Status()> store_health, prometheus::Registry& registry,
                const pg::ConnectionPool* pool) const;

  // StartGrpcServer serves `services` on every address in `ports` with mutual TLS from `files`
  // and the standard health service (serving). `configure`, when set, also sees the builder (for
  // services that add their own completion queues). Returns null when `ports` is empty. Dies
  // naming `option` when the credentials or a port fail.
  std::unique_ptr<grpc::Server> StartGrpcServer(
      const std::vector<std::string>& ports, const std::vector<grpc::Service*>& services,
      const grpcutil::TlsFiles& files, absl::string_view option,
      const std::function<void(grpc::ServerBuilder*)>& configure = nullptr) const;

 private:
  std::string service_;
};

// SplitList splits a comma-separated flag value, dropping empty items.
std::vector<std::string> SplitList(const std::string& s);

// DescribeAddresses gives "a:1 b:2" for logs.
std::string DescribeAddresses(const std::vector<net::SocketAddress>& addresses);

// BlockTerminationSignals blocks SIGTERM and SIGINT in this thread and the threads it starts later,
// so WaitForTermination can take them synchronously. Call before starting any thread.
sigset_t BlockTerminationSignals();

// WaitForTermination blocks until SIGTERM or SIGINT and returns the signal.
int WaitForTermination(const sigset_t& signals);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_SERVICE_SETUP_H_
