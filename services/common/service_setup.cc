#include "services/common/service_setup.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/counter.h>
#include <pthread.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/crypto/file_kek_backend.h"
#include "common/crypto/key_id.h"
#include "common/crypto/pkcs11_kek_backend.h"
#include "common/grpc/server_threads.h"
#include "common/grpc/tls_file_watcher.h"
#include "common/log/logger.h"
#include "common/ops/grpc_server_metrics.h"
#include "common/ops/pool_metrics.h"
#include "common/ops/process_metrics.h"

ABSL_FLAG(absl::Duration, grpc_max_connection_age, absl::Minutes(5),
          "gRPC servers close each client connection after about this long (GOAWAY), so clients "
          "re-resolve and reach replicas added since; 'inf': never.");
ABSL_FLAG(absl::Duration, grpc_max_connection_age_grace, absl::Seconds(30),
          "Time calls still open on an aged connection get before it is closed; 'inf': no limit.");

ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Seconds(60),
          "How often --tls_cert, --tls_key and --tls_ca are checked for renewed files; a valid "
          "renewal serves new gRPC handshakes, a broken one is refused (logged and counted).");
ABSL_FLAG(std::string, kek_backend, "file",
          "Where the key-encryption keys live: 'file' (the --kek_file keyring, in memory) or "
          "'pkcs11' (a PKCS#11 token/HSM; the KEK never leaves it, each row's data key is wrapped "
          "inside it). With pkcs11, --kek_file is optional and opens rows sealed before the move.");
ABSL_FLAG(std::string, pkcs11_module, "/usr/lib/softhsm/libsofthsm2.so",
          "PKCS#11 module (shared library) for --kek_backend=pkcs11.");
ABSL_FLAG(std::string, pkcs11_token_label, "",
          "Label of the PKCS#11 token holding the KEKs (labelled onem2m-kek-v<N>).");
ABSL_FLAG(std::string, pkcs11_pin_file, "",
          "File holding the token's user PIN (mode 0600/0400/0440).");
ABSL_FLAG(int, pkcs11_sessions, 8, "PKCS#11 sessions in the pool (1..64).");
ABSL_FLAG(uint32_t, kek_active_version, 0,
          "KEK version that seals new rows (0: the keyring's active version with 'file', the "
          "token's highest version with 'pkcs11'). Must be held by a configured backend.");
ABSL_FLAG(absl::Duration, pg_wait_max_backoff, absl::Seconds(10),
          "Start-up waits for PostgreSQL, retrying with backoff that grows up to this.");

ABSL_FLAG(bool, tls13, false,
          "Also accept TLS 1.3 external PSK (TLS_AES_128_GCM_SHA256) on the TLS device port, "
          "beside TLS 1.2; DTLS stays 1.2 (docs/protocol.md 2a).");
ABSL_FLAG(std::string, tls13_importer, "on",
          "TLS 1.3 PSK identities accepted: on (RFC 9258 imported identities only), off (raw "
          "identities, as openssl s_client -psk sends), both.");
ABSL_FLAG(std::string, tls13_psk_mode, "dhe",
          "TLS 1.3 PSK key exchange: dhe (psk_dhe_ke only) or ke (psk_ke also accepted).");

namespace onem2m::services {
namespace {

// MillisForGrpc converts a positive duration to a gRPC channel argument (int milliseconds).
int MillisForGrpc(absl::Duration d) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(d), 1, INT32_MAX));
}

}  // namespace

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
  const std::string backend = absl::GetFlag(FLAGS_kek_backend);
  const uint32_t active = absl::GetFlag(FLAGS_kek_active_version);
  std::vector<std::shared_ptr<const crypto::KekBackend>> backends;
  if (backend != "file" && backend != "pkcs11") {
    Die("kek_backend", absl::InvalidArgumentError("must be file or pkcs11"));
  }
  if (backend == "file" && kek_file.empty()) {
    Die("kek_file", absl::InvalidArgumentError("required"));
  }
  if (!kek_file.empty()) {
    absl::StatusOr<crypto::Keyring> keyring = crypto::Keyring::Load(kek_file);
    if (!keyring.ok()) Die("kek_file", keyring.status());
    backends.push_back(std::make_shared<const crypto::FileKekBackend>(*std::move(keyring)));
  }
  if (backend == "pkcs11") {
    crypto::Pkcs11Config config;
    config.module_path = absl::GetFlag(FLAGS_pkcs11_module);
    config.token_label = absl::GetFlag(FLAGS_pkcs11_token_label);
    const std::string pin_file = absl::GetFlag(FLAGS_pkcs11_pin_file);
    const int sessions = absl::GetFlag(FLAGS_pkcs11_sessions);
    if (config.token_label.empty()) {
      Die("pkcs11_token_label", absl::InvalidArgumentError("required with --kek_backend=pkcs11"));
    }
    if (pin_file.empty()) {
      Die("pkcs11_pin_file", absl::InvalidArgumentError("required with --kek_backend=pkcs11"));
    }
    if (sessions < 1 || sessions > 64) {
      Die("pkcs11_sessions", absl::InvalidArgumentError("must be 1..64"));
    }
    config.sessions = static_cast<size_t>(sessions);
    absl::StatusOr<SecretBytes> pin = crypto::ReadPkcs11PinFile(pin_file);
    if (!pin.ok()) Die("pkcs11_pin_file", pin.status());
    config.pin = *std::move(pin);
    absl::StatusOr<std::shared_ptr<crypto::Pkcs11KekBackend>> token =
        crypto::Pkcs11KekBackend::Connect(config);
    if (!token.ok()) Die("pkcs11_token_label", token.status());
    if ((*token)->versions().empty()) {
      Die("pkcs11_token_label",
          absl::FailedPreconditionError(absl::StrCat(
              "the token holds no KEK labelled ", crypto::kPkcs11KekLabelPrefix,
              "<N>; create one inside it with pkcs11_kek_tool generate --version=<N>")));
    }
    backends.push_back(*std::move(token));
  }
  absl::StatusOr<crypto::Envelope> envelope = crypto::Envelope::Create(std::move(backends), active);
  if (!envelope.ok()) Die("kek_active_version", envelope.status());
  Log(Level::kInfo, "kek_loaded",
      {{"backend", std::string(envelope->active_backend_name())},
       {"active_version", absl::StrCat(envelope->active_version())},
       {"versions", absl::StrJoin(envelope->versions(), ",")}});
  return *std::move(envelope);
}

ListenerOptions ServiceSetup::Listeners(ListenerFlags flags) const {
  flags.tls13 = absl::GetFlag(FLAGS_tls13);
  flags.tls13_importer = absl::GetFlag(FLAGS_tls13_importer);
  flags.tls13_psk_mode = absl::GetFlag(FLAGS_tls13_psk_mode);
  return Require(ParseListenerOptions(flags));
}

void ServiceSetup::WatchTlsFiles(std::shared_ptr<prometheus::Registry> registry) const {
  grpcutil::SetTlsReloadInterval(absl::GetFlag(FLAGS_tls_reload_interval));
  prometheus::Counter& reloads =
      prometheus::BuildCounter()
          .Name("onem2m_cert_reloads_total")
          .Help("Renewed certificate/key/CA files validated and put in use without a restart.")
          .Register(*registry)
          .Add({});
  prometheus::Counter& errors =
      prometheus::BuildCounter()
          .Name("onem2m_cert_reload_errors_total")
          .Help(
              "Renewed certificate/key/CA files refused as broken (the previous ones stay in use).")
          .Register(*registry)
          .Add({});
  grpcutil::SetTlsReloadObserver(
      [registry, &reloads, &errors](bool ok) { (ok ? reloads : errors).Increment(); });
}

void ServiceSetup::StartOps(ops::OpsServer& ops, const std::string& address) const {
  ops.SetStarting("starting");
  // The process_* series every Prometheus client exports, refreshed at each scrape.
  auto process = std::make_shared<ops::ProcessMetrics>(*ops.registry());
  ops.AddScrapeHook([process] { process->Refresh(); });
  if (address.empty()) return;
  if (absl::Status s = ops.Start(address); !s.ok()) Die("ops_listen", s);
}

int ServiceSetup::StopOps(ops::OpsServer& ops, absl::string_view stopped_event) const {
  if (!ops.Stop(absl::Seconds(2))) {
    Log(Level::kWarning, stopped_event, {{"note", "a readiness check was still blocked"}});
    std::fflush(nullptr);
    std::_Exit(0);
  }
  Log(Level::kInfo, stopped_event, {});
  return 0;
}

void ServiceSetup::AddStoreChecks(ops::OpsServer& ops, std::function<absl::Status()> store_health,
                                  prometheus::Registry& registry,
                                  const pg::ConnectionPool* pool) const {
  ops.AddReadinessCheck("store", std::move(store_health));
  if (pool != nullptr) ops::RegisterPoolMetrics(registry, &ops, pool);
}

bool ServiceSetup::WaitForDatabase(ops::OpsServer& ops, const sigset_t& signals,
                                   absl::string_view option,
                                   const std::function<absl::Status()>& open) const {
  const absl::Duration max_backoff =
      std::max(absl::GetFlag(FLAGS_pg_wait_max_backoff), absl::Milliseconds(100));
  absl::Duration backoff = std::min(absl::Milliseconds(500), max_backoff);
  std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    ops.SetStarting(absl::StrCat("connecting to PostgreSQL (attempt ", attempt, ")"));
    absl::Status s = open();
    if (s.ok()) {
      if (attempt > 1) Log(Level::kInfo, "database_ready", {{"attempts", absl::StrCat(attempt)}});
      ops.SetStarting("starting");
      return true;
    }
    if (s.code() != absl::StatusCode::kUnavailable) Die(option, s);
    // Full jitter in [backoff/2, backoff]: replicas restarted together do not retry in step.
    const absl::Duration wait =
        backoff / 2 +
        absl::Nanoseconds(static_cast<int64_t>(std::uniform_real_distribution<double>(0, 1)(rng) *
                                               absl::ToDoubleNanoseconds(backoff / 2)));
    Log(Level::kWarning, "waiting_for_database",
        {{"attempt", absl::StrCat(attempt)},
         {"error", std::string(s.message())},
         {"retry_in", absl::FormatDuration(wait)}});
    ops.SetStarting(absl::StrCat(
        "waiting for PostgreSQL (attempt ", attempt, " failed: ", s.message(), "; next in ",
        absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(100))), ")"));
    const timespec ts = absl::ToTimespec(wait);
    int sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) {
      Log(Level::kInfo, "stopped_while_waiting_for_database", {{"signal", absl::StrCat(sig)}});
      return false;
    }
    backoff = std::min(backoff * 2, max_backoff);
  }
}

void GrpcServers::SetServing(bool serving) {
  for (auto& [option, server] : servers_)
    server->GetHealthCheckService()->SetServingStatus(serving);
}

void GrpcServers::Shutdown(std::chrono::system_clock::time_point deadline) {
  for (auto& [option, server] : servers_) server->Shutdown(deadline);
}

grpc::Server* GrpcServers::server(absl::string_view option) const {
  for (const auto& [o, server] : servers_) {
    if (o == option) return server.get();
  }
  return nullptr;
}

namespace {

// ServerLabel names a gRPC port in metrics by its option: "credential_grpc_listen" -> "credential".
std::string ServerLabel(absl::string_view option) {
  absl::ConsumeSuffix(&option, "_grpc_listen");
  return std::string(option);
}

}  // namespace

GrpcServers ServiceSetup::StartGrpcServers(const std::vector<GrpcListener>& listeners,
                                           const grpcutil::TlsFiles& files,
                                           std::shared_ptr<prometheus::Registry> registry) const {
  GrpcServers out;
  out.registry_ = std::move(registry);
  out.metrics_ = std::make_shared<ops::GrpcServerMetrics>(*out.registry_);
  bool any = false;
  for (const GrpcListener& l : listeners) any = any || !l.address.empty();
  if (!any) return out;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      grpcutil::MakeServerCredentials(files);
  if (!creds.ok()) Die("tls_cert/tls_key/tls_ca", creds.status());
  // Both are process-wide switches read by every builder built afterwards: each server gets its
  // own health service and its own reflection service listing only what it serves.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const absl::Duration age = absl::GetFlag(FLAGS_grpc_max_connection_age);
  const absl::Duration grace = absl::GetFlag(FLAGS_grpc_max_connection_age_grace);
  for (const GrpcListener& l : listeners) {
    if (l.address.empty()) continue;
    grpc::ServerBuilder builder;
    grpcutil::KeepServerThreads(&builder);
    if (age > absl::ZeroDuration() && age != absl::InfiniteDuration()) {
      builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, MillisForGrpc(age));
      if (grace != absl::InfiniteDuration()) {
        builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, MillisForGrpc(grace));
      }
    }
    builder.AddListeningPort(l.address, *creds);
    for (grpc::Service* s : l.services) builder.RegisterService(s);
    if (l.configure) l.configure(&builder);
    // Every call on every port is counted and timed (docs/operations.md, onem2m_grpc_server_*).
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
    factories.push_back(out.metrics_->NewInterceptorFactory(ServerLabel(l.option)));
    builder.experimental().SetInterceptorCreators(std::move(factories));
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (server == nullptr) Die(l.option, absl::UnavailableError("cannot bind " + l.address));
    server->GetHealthCheckService()->SetServingStatus(true);
    out.servers_.emplace_back(l.option, std::move(server));
  }
  return out;
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
