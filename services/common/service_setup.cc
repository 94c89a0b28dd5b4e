#include "services/common/service_setup.h"

#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_split.h"
#include "common/crypto/key_id.h"
#include "common/grpc/server_threads.h"
#include "common/log/logger.h"
#include "common/ops/pool_metrics.h"

namespace onem2m::services {

void ServiceSetup::Die(absl::string_view option, const absl::Status& status) const {
  Log(Level::kError, "startup_failed",
      {{"option", std::string(option)}, {"error", status.ToString()}});
  std::fprintf(stderr, "%s: --%s: %s\n", service_.c_str(), std::string(option).c_str(),
               status.ToString().c_str());
  std::exit(2);
}

void ServiceSetup::ConfigureLogging(const std::string& level, const std::string& format,
                                    const std::string& audit_path) const {
  Level parsed;
  if (!ParseLogLevel(level, &parsed)) {
    Die("log_level", absl::InvalidArgumentError("must be debug, info, warning or error"));
  }
  if (format != "json" && format != "text") {
    Die("log_format", absl::InvalidArgumentError("must be json or text"));
  }
  SetLogLevel(parsed);
  SetLogFormat(format);
  if (!SetAuditPath(audit_path)) {
    Die("audit_log", absl::PermissionDeniedError("cannot open for appending"));
  }
}

std::string ServiceSetup::RequireFqdn(absl::string_view option, const std::string& value) const {
  if (value.empty()) Die(option, absl::InvalidArgumentError("required"));
  if (absl::Status s = crypto::ValidateFqdn(value); !s.ok()) Die(option, s);
  return value;
}

crypto::Envelope ServiceSetup::LoadEnvelope(const std::string& kek_file) const {
  if (kek_file.empty()) Die("kek_file", absl::InvalidArgumentError("required"));
  absl::StatusOr<crypto::Keyring> keyring = crypto::Keyring::Load(kek_file);
  if (!keyring.ok()) Die("kek_file", keyring.status());
  return crypto::Envelope(std::move(*keyring));
}

std::vector<tls::CipherSuite> ServiceSetup::CipherSuites(tls::Transport transport,
                                                         const std::string& suites,
                                                         absl::string_view suites_flag) const {
  if (suites.empty()) return {};
  absl::StatusOr<std::vector<tls::CipherSuite>> parsed =
      tls::ParseCipherSuites(transport, SplitList(suites));
  if (!parsed.ok()) Die(suites_flag, parsed.status());
  return *parsed;
}

void ServiceSetup::StartOps(ops::OpsServer& ops, const std::string& address,
                            std::function<absl::Status()> store_health,
                            prometheus::Registry& registry, const pg::ConnectionPool* pool) const {
  ops.AddReadinessCheck("store", std::move(store_health));
  if (pool != nullptr) ops::RegisterPoolMetrics(registry, &ops, pool);
  if (address.empty()) return;
  if (absl::Status s = ops.Start(address); !s.ok()) Die("ops_listen", s);
}

std::unique_ptr<grpc::Server> ServiceSetup::StartGrpcServer(
    const std::vector<std::string>& ports, const std::vector<grpc::Service*>& services,
    const grpcutil::TlsFiles& files, absl::string_view option,
    const std::function<void(grpc::ServerBuilder*)>& configure) const {
  if (ports.empty()) return nullptr;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      grpcutil::MakeServerCredentials(files);
  if (!creds.ok()) Die("tls_cert/tls_key/tls_ca", creds.status());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  grpcutil::KeepServerThreads(&builder);
  for (const std::string& port : ports) builder.AddListeningPort(port, *creds);
  for (grpc::Service* s : services) builder.RegisterService(s);
  if (configure) configure(&builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) Die(option, absl::UnavailableError("cannot bind"));
  server->GetHealthCheckService()->SetServingStatus(true);
  return server;
}

std::vector<std::string> SplitList(const std::string& s) {
  return absl::StrSplit(s, ',', absl::SkipWhitespace());
}

std::string DescribeAddresses(const std::vector<net::SocketAddress>& addresses) {
  std::string out;
  for (const net::SocketAddress& a : addresses) {
    if (!out.empty()) out += " ";
    out += a.ToString();
  }
  return out;
}

sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int WaitForTermination(const sigset_t& signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  return sig;
}

}  // namespace onem2m::services
