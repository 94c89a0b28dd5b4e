// File: services/common/service_setup.h
//
// Start-up and shutdown steps the MEF and MAF binaries share: a failed option stops start-up with
// a message naming it; logging from flags; the listener flags, keyring and FQDNs; the gRPC
// servers (one per port) with mutual TLS, health checking and reflection; SIGTERM/SIGINT handling.
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

#include <chrono>
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
#include "common/ops/grpc_server_metrics.h"
#include "common/ops/ops_server.h"
#include "common/pg/pool.h"
#include "common/tls/psk_config.h"
#include "services/common/flag_list.h"
#include "services/common/listener_options.h"
#include "services/common/option_error.h"

namespace onem2m::services {

// GrpcListener is one gRPC port and the APIs it serves.
struct GrpcListener {
  std::string option;   // the flag naming the address, for errors ("admin_grpc_listen")
  std::string address;  // "[::]:9444"; empty: this listener is off
  std::vector<grpc::Service*> services;
  // configure, when set, also sees the builder (for services that add their own completion
  // queues, e.g. grpcutil::UnaryBatcher).
  std::function<void(grpc::ServerBuilder*)> configure;
};

// GrpcServers owns the servers started by ServiceSetup::StartGrpcServers.
class GrpcServers {
 public:
  // SetServing flips the health status of every server (false first when draining).
  void SetServing(bool serving);
  // Shutdown shuts every server down, cancelling calls still running at `deadline`.
  void Shutdown(std::chrono::system_clock::time_point deadline);
  // server returns the server of `option`, or null when that listener is off.
  grpc::Server* server(absl::string_view option) const;
  bool empty() const { return servers_.empty(); }

 private:
  friend class ServiceSetup;
  // Declared before the servers, so destroyed after them: their interceptors use the metrics.
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ops::GrpcServerMetrics> metrics_;
  std::vector<std::pair<std::string, std::unique_ptr<grpc::Server>>> servers_;
};

class ServiceSetup {
 public:
  explicit ServiceSetup(std::string service) : service_(std::move(service)) {}

  // Die logs and prints "<service>: --<option>: <status>" and exits with code 2.
  [[noreturn]] void Die(absl::string_view option, const absl::Status& status) const;

  // ConfigureLogging applies --log_level, --log_format and --audit_log (dies on bad values).
  void ConfigureLogging(const std::string& level, const std::string& format,
                        const std::string& audit_path) const;

  // RequireFqdn returns `value` if it is a lower-case ASCII FQDN (docs/protocol.md 5), else dies
  // naming `option`.
  std::string RequireFqdn(absl::string_view option, const std::string& value) const;

  // LoadEnvelope returns the envelope that seals secrets at rest, or dies naming the option. With
  // --kek_backend=file (default) it loads the keyring (file or directory) `kek_file`; with
  // --kek_backend=pkcs11 it connects to the PKCS#11 token (--pkcs11_module,
  // --pkcs11_token_label, --pkcs11_pin_file, --pkcs11_sessions) and, if `kek_file` is set, also
  // loads that keyring so rows sealed under it still open. --kek_active_version picks the
  // sealing version (common/crypto/pkcs11_kek_backend.h).
  crypto::Envelope LoadEnvelope(const std::string& kek_file) const;

  // Require returns the value of `parsed`, or dies naming its option (see option_error.h).
  template <typename T>
  T Require(OptionOr<T> parsed) const {
    if (!parsed.ok()) Die(parsed.error().option, parsed.error().status);
    return *std::move(parsed);
  }

  // Listeners validates a service's PSK listener flags (`flags`) together with the shared --tls13,
  // --tls13_importer and --tls13_psk_mode (docs/protocol.md 2a), which it fills in, and dies naming
  // the first bad option (see ParseListenerOptions).
  ListenerOptions Listeners(ListenerFlags flags) const;

  // WatchTlsFiles applies --tls_reload_interval (how often the certificate, key and CA files are
  // checked for a renewal, see grpcutil::TlsFileWatcher) and counts reloads in `registry`
  // (onem2m_cert_reloads_total, onem2m_cert_reload_errors_total). Call it before making any gRPC
  // credentials. The reload observer keeps `registry` alive (watchers outlive main).
  void WatchTlsFiles(std::shared_ptr<prometheus::Registry> registry) const;

  // StartOps serves /healthz, /readyz and /metrics on `address` (empty: no ops port) from the
  // start of start-up, with the process_* series (ops::ProcessMetrics) added to its registry:
  // liveness answers at once, and /readyz says "starting" until ops.SetStarted(). Dies naming
  // --ops_listen.
  void StartOps(ops::OpsServer& ops, const std::string& address) const;

  // StopOps stops the ops port last in a drain and logs `stopped_event` ("mef_stopped"). If a
  // readiness check is still blocked after two seconds (a black-holed database) the store it uses
  // must not be destroyed under it and nothing is left to do, so the process exits 0 at once.
  // Returns the exit code otherwise (0).
  int StopOps(ops::OpsServer& ops, absl::string_view stopped_event) const;

  // AddStoreChecks makes readiness follow `store_health` (run in the background, see OpsServer)
  // and adds the pool gauges when `pool` is not null.
  void AddStoreChecks(ops::OpsServer& ops, std::function<absl::Status()> store_health,
                      prometheus::Registry& registry, const pg::ConnectionPool* pool) const;

  // WaitForDatabase calls `open` (which connects and runs the migrations) until it returns OK,
  // while it fails with kUnavailable (PostgreSQL not there yet, not answering, or refusing) waiting
  // with jittered exponential backoff from 0.5 s up to --pg_wait_max_backoff, logging every failure
  // (event "waiting_for_database") and showing it on /readyz ("starting: waiting for PostgreSQL").
  // A pod whose database is late thus stays alive and unready instead of exiting. Returns false if
  // SIGTERM or SIGINT (taken from `signals`) arrived meanwhile: the caller should exit with 0. Any
  // other error dies naming `option`.
  bool WaitForDatabase(ops::OpsServer& ops, const sigset_t& signals, absl::string_view option,
                       const std::function<absl::Status()>& open) const;

  // StartGrpcServers starts one gRPC server per listener in `listeners` (those with an empty
  // address are skipped), each serving only its own services plus health checking and server
  // reflection, so a call to another API on that port gets UNIMPLEMENTED (docs/protocol.md 6:
  // each API has its own port and NetworkPolicy). Every server uses mutual TLS from `files`
  // (reloaded when the files change, see grpcutil::MakeServerCredentials) and closes connections
  // after --grpc_max_connection_age (+ grace) so clients re-resolve and spread over new replicas.
  // Every call is counted and timed in `registry` (ops::GrpcServerMetrics, server label: the
  // option without "_grpc_listen"). Dies naming the listener's option when the credentials or a
  // port fail.
  GrpcServers StartGrpcServers(const std::vector<GrpcListener>& listeners,
                               const grpcutil::TlsFiles& files,
                               std::shared_ptr<prometheus::Registry> registry) const;

 private:
  std::string service_;
};

// DescribeAddresses gives "a:1 b:2" for logs.
std::string DescribeAddresses(const std::vector<net::SocketAddress>& addresses);

// BlockTerminationSignals blocks SIGTERM and SIGINT in this thread and the threads it starts later,
// so WaitForTermination can take them synchronously. Call before starting any thread.
sigset_t BlockTerminationSignals();

// WaitForTermination blocks until SIGTERM or SIGINT and returns the signal.
int WaitForTermination(const sigset_t& signals);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_SERVICE_SETUP_H_
