// mef_server: the M2M Enrolment Function (PROTOCOL.md 1-6).
//
// Serves TLS-PSK (TCP) and DTLS-PSK (UDP) bootstrap with the enrolment exchange, the credential
// fetch for MAFs and the admin API over gRPC with mutual TLS, and /healthz, /readyz, /metrics on
// the ops port. SIGTERM drains: readiness goes false, listeners stop, in-flight enrolments get
// --grace_period to finish. Configuration: flags > ONEM2M_<FLAG> environment > --config file.
#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <csignal>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <prometheus/gauge.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "common/config/flags_loader.h"
#include "common/crypto/envelope.h"
#include "common/grpc/mtls.h"
#include "common/log/logger.h"
#include "common/ops/ops_server.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/psk_context.h"
#include "mef/admin/envelope_kpm_sealer.h"
#include "mef/admin/mef_admin_service.h"
#include "mef/bootstrap/enrolment_session.h"
#include "mef/bootstrap/kpm_resolver.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/metrics/mef_metrics.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"

ABSL_FLAG(std::string, tls_listen, "[::]:8443", "TLS-PSK bootstrap addresses (comma-separated); empty: none.");
ABSL_FLAG(std::string, dtls_listen, "[::]:5684", "DTLS-PSK bootstrap addresses (comma-separated); empty: none.");
ABSL_FLAG(std::string, credential_grpc_listen, "[::]:9443", "gRPC credential fetch for MAFs (mutual TLS); empty: off.");
ABSL_FLAG(std::string, admin_grpc_listen, "[::]:9444", "gRPC admin API (mutual TLS); empty: off.");
ABSL_FLAG(std::string, ops_listen, "[::]:9090", "Plain HTTP /healthz /readyz /metrics; empty: off.");
ABSL_FLAG(std::string, mef_fqdn, "", "This MEF's FQDN: the suffix of every KeID (required).");
ABSL_FLAG(bool, require_sni, true, "Refuse handshakes whose SNI is not --mef_fqdn.");
ABSL_FLAG(std::string, store, "pg", "Enrolee store: 'pg' (PostgreSQL, default) or 'memory' (local runs only).");
ABSL_FLAG(std::string, pg, "", "libpq connection string for --store=pg.");
ABSL_FLAG(int, pg_pool_size, 8, "PostgreSQL connections in the pool.");
ABSL_FLAG(std::string, kek_file, "", "Key-encryption keyring file or directory (required).");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate for the gRPC ports.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for the gRPC ports.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle that signs MAF and admin client certificates.");
ABSL_FLAG(std::string, admin_identities, "", "Comma-separated client-certificate DNS names allowed on the admin API.");
ABSL_FLAG(std::string, tls_suites, "", "TLS suites in preference order (IANA or OpenSSL names); empty: PROTOCOL.md defaults.");
ABSL_FLAG(std::string, dtls_suites, "", "DTLS suites in preference order; empty: PROTOCOL.md defaults.");
ABSL_FLAG(int, io_threads, 2, "Bootstrap I/O threads.");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10), "Handshake deadline per session.");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Seconds(30), "Close sessions idle this long.");
ABSL_FLAG(int, max_sessions_per_source, 256, "Open sessions one source address may hold (0: no cap).");
ABSL_FLAG(absl::Duration, default_lifetime, absl::Hours(24), "Ke lifetime when an enrolee sets none.");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(20), "SIGTERM: time for in-flight work.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, log_format, "json", "json or text.");
ABSL_FLAG(std::string, audit_log, "-", "Audit stream file ('-' = stdout).");

namespace onem2m {
namespace {

constexpr char kVersion[] = "0.1.0";

[[noreturn]] void Die(absl::string_view option, const absl::Status& s) {
  Log(Level::kError, "startup_failed", {{"option", std::string(option)}, {"error", s.ToString()}});
  std::fprintf(stderr, "mef_server: --%s: %s\n", std::string(option).c_str(), s.ToString().c_str());
  std::exit(2);
}

std::vector<std::string> SplitList(const std::string& s) {
  return absl::StrSplit(s, ',', absl::SkipWhitespace());
}

std::shared_ptr<const tls::PskContext> MakeContext(tls::Transport t, const std::string& suites,
                                                   const std::string& flag,
                                                   std::shared_ptr<tls::PskResolver> resolver) {
  tls::ServerOptions o;
  o.transport = t;
  if (!suites.empty()) {
    absl::StatusOr<std::vector<tls::CipherSuite>> parsed =
        tls::ParseCipherSuites(t, SplitList(suites));
    if (!parsed.ok()) Die(flag, parsed.status());
    o.cipher_suites = *parsed;
  }
  if (absl::GetFlag(FLAGS_require_sni)) o.required_server_name = absl::GetFlag(FLAGS_mef_fqdn);
  o.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx =
      tls::PskContext::NewServer(o, std::move(resolver));
  if (!ctx.ok()) Die(flag, ctx.status());
  return *ctx;
}

int Run() {
  Level level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    Die("log_level", absl::InvalidArgumentError("must be debug, info, warning or error"));
  }
  SetLogLevel(level);
  SetLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!SetAuditPath(absl::GetFlag(FLAGS_audit_log))) {
    Die("audit_log", absl::PermissionDeniedError("cannot open for appending"));
  }
  if (absl::GetFlag(FLAGS_mef_fqdn).empty()) Die("mef_fqdn", absl::InvalidArgumentError("required"));
  if (absl::GetFlag(FLAGS_kek_file).empty()) Die("kek_file", absl::InvalidArgumentError("required"));

  // Block SIGTERM/SIGINT in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<crypto::Keyring> keyring = crypto::Keyring::Load(absl::GetFlag(FLAGS_kek_file));
  if (!keyring.ok()) Die("kek_file", keyring.status());
  crypto::Envelope envelope(std::move(*keyring));

  std::unique_ptr<mef::EnroleeStore> store;
  if (absl::GetFlag(FLAGS_store) == "memory") {
    Log(Level::kWarning, "memory_store", {{"note", "enrolments are lost on exit; not for production"}});
    store = std::make_unique<mef::MemoryEnroleeStore>();
  } else if (absl::GetFlag(FLAGS_store) == "pg") {
    mef::PgEnroleeStoreOptions po;
    po.pool.conninfo = absl::GetFlag(FLAGS_pg);
    po.pool.max_size = absl::GetFlag(FLAGS_pg_pool_size);
    po.pool.application_name = "mef_server";
    if (po.pool.conninfo.empty()) Die("pg", absl::InvalidArgumentError("required with --store=pg"));
    absl::StatusOr<std::unique_ptr<mef::PgEnroleeStore>> pg = mef::PgEnroleeStore::Create(po);
    if (!pg.ok()) Die("pg", pg.status());
    store = std::move(*pg);
  } else {
    Die("store", absl::InvalidArgumentError("must be 'pg' or 'memory'"));
  }

  auto registry = std::make_shared<prometheus::Registry>();
  mef::MefMetrics metrics(registry, kVersion);

  // Bootstrap listeners.
  auto resolver = std::make_shared<mef::KpmResolver>(store.get(), &envelope);
  mef::EnrolmentConfig ec;
  ec.mef_fqdn = absl::GetFlag(FLAGS_mef_fqdn);
  ec.default_lifetime = absl::GetFlag(FLAGS_default_lifetime);
  mef::EnrolmentSessionFactory factory(ec, store.get(), &envelope, &metrics);
  server::PskServerOptions so;
  so.tls_listen = SplitList(absl::GetFlag(FLAGS_tls_listen));
  so.dtls_listen = SplitList(absl::GetFlag(FLAGS_dtls_listen));
  if (!so.tls_listen.empty()) {
    so.tls_context = MakeContext(tls::Transport::kTls, absl::GetFlag(FLAGS_tls_suites), "tls_suites", resolver);
  }
  if (!so.dtls_listen.empty()) {
    so.dtls_context = MakeContext(tls::Transport::kDtls, absl::GetFlag(FLAGS_dtls_suites), "dtls_suites", resolver);
  }
  so.io_threads = absl::GetFlag(FLAGS_io_threads);
  so.idle_timeout = absl::GetFlag(FLAGS_idle_timeout);
  so.max_sessions_per_source = absl::GetFlag(FLAGS_max_sessions_per_source);
  absl::StatusOr<std::unique_ptr<server::PskServer>> psk =
      server::PskServer::Start(so, &factory, &metrics);
  if (!psk.ok()) Die("tls_listen/dtls_listen", psk.status());

  // gRPC: credential fetch and admin, each on its own port, both mutual TLS.
  mef::EnvelopeKeOpener opener(&envelope);
  mef::MefCredentialServiceImpl::Options co;
  co.metrics = &metrics;
  absl::StatusOr<std::unique_ptr<mef::MefCredentialServiceImpl>> credential =
      mef::MefCredentialServiceImpl::Create(store.get(), &opener, co);
  if (!credential.ok()) Die("credential_grpc_listen", credential.status());
  mef::EnvelopeKpmSealer sealer(&envelope);
  mef::MefAdminOptions ao;
  for (const std::string& id : SplitList(absl::GetFlag(FLAGS_admin_identities))) {
    ao.admin_identities.insert(id);
  }
  absl::StatusOr<std::unique_ptr<mef::MefAdminServiceImpl>> admin =
      mef::MefAdminServiceImpl::Create(store.get(), &sealer, ao);
  if (!admin.ok()) Die("admin_identities", admin.status());

  std::unique_ptr<grpc::Server> grpc_server;
  const std::string cred_addr = absl::GetFlag(FLAGS_credential_grpc_listen);
  const std::string admin_addr = absl::GetFlag(FLAGS_admin_grpc_listen);
  if (!cred_addr.empty() || !admin_addr.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
        grpcutil::MakeServerCredentials({absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                                         absl::GetFlag(FLAGS_tls_ca)});
    if (!creds.ok()) Die("tls_cert/tls_key/tls_ca", creds.status());
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    // One server, two ports: the services are told apart by the port a caller may reach
    // (NetworkPolicy), and each checks the caller's certificate itself.
    if (!cred_addr.empty()) builder.AddListeningPort(cred_addr, *creds);
    if (!admin_addr.empty()) builder.AddListeningPort(admin_addr, *creds);
    if (!cred_addr.empty()) builder.RegisterService(credential->get());
    if (!admin_addr.empty()) builder.RegisterService(admin->get());
    grpc_server = builder.BuildAndStart();
    if (grpc_server == nullptr) {
      Die("credential_grpc_listen/admin_grpc_listen", absl::UnavailableError("cannot bind"));
    }
    grpc_server->GetHealthCheckService()->SetServingStatus(true);
  }

  ops::OpsServer ops(registry);
  if (auto* pg = dynamic_cast<mef::PgEnroleeStore*>(store.get())) {
    auto& pool_family = prometheus::BuildGauge()
                            .Name("onem2m_store_pool_connections")
                            .Help("PostgreSQL pool connections: open now, and the configured maximum.")
                            .Register(*registry);
    prometheus::Gauge& open_gauge = pool_family.Add({{"state", "open"}});
    pool_family.Add({{"state", "max"}}).Set(pg->pool().options().max_size);
    auto& made = prometheus::BuildGauge()
                     .Name("onem2m_store_pool_connections_made")
                     .Help("PostgreSQL connections opened since start (re-connects after failures).")
                     .Register(*registry)
                     .Add({});
    ops.AddScrapeHook([pg, &open_gauge, &made] {
      open_gauge.Set(pg->pool().open_connections());
      made.Set(static_cast<double>(pg->pool().connections_made()));
    });
  }
  mef::EnroleeStore* store_ptr = store.get();
  ops.AddReadinessCheck("store", [store_ptr] { return store_ptr->CheckHealth(); });
  if (!absl::GetFlag(FLAGS_ops_listen).empty()) {
    absl::Status s = ops.Start(absl::GetFlag(FLAGS_ops_listen));
    if (!s.ok()) Die("ops_listen", s);
  }

  std::string tls_ports, dtls_ports;
  for (const auto& a : (*psk)->tls_addresses()) tls_ports += a.ToString() + " ";
  for (const auto& a : (*psk)->dtls_addresses()) dtls_ports += a.ToString() + " ";
  Log(Level::kInfo, "mef_started",
      {{"version", kVersion}, {"mef_fqdn", ec.mef_fqdn}, {"tls", tls_ports}, {"dtls", dtls_ports},
       {"credential_grpc", cred_addr}, {"admin_grpc", admin_addr},
       {"ops_port", std::to_string(ops.port())}, {"store", absl::GetFlag(FLAGS_store)}});

  int sig = 0;
  sigwait(&signals, &sig);
  absl::Duration grace = absl::GetFlag(FLAGS_grace_period);
  Log(Level::kInfo, "mef_draining", {{"signal", std::to_string(sig)}});
  ops.SetDraining();
  if (grpc_server) grpc_server->GetHealthCheckService()->SetServingStatus(false);
  (*credential)->Shutdown();
  (*psk)->Shutdown(grace);
  if (grpc_server) {
    grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  ops.Stop();
  Log(Level::kInfo, "mef_stopped", {});
  return 0;
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::config::LoadFlags(argc, argv,
                            "mef_server: oneM2M M2M Enrolment Function.\n"
                            "Precedence: --flag > ONEM2M_<FLAG> environment > --config file > default.");
  return onem2m::Run();
}
