// mef_server: the M2M Enrolment Function (docs/protocol.md 1-6).
//
// Serves TLS-PSK (TCP) and DTLS-PSK (UDP) bootstrap with the enrolment exchange, the credential
// fetch for MAFs and the admin API over gRPC with mutual TLS, and /healthz, /readyz, /metrics on
// the ops port. SIGTERM drains: readiness goes false, listeners stop, in-flight enrolments get
// --grace_period to finish. Configuration: flags > ONEM2M_<FLAG> environment > --config file.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "common/config/flags_loader.h"
#include "common/crypto/envelope.h"
#include "common/log/logger.h"
#include "common/ops/build_info.h"
#include "common/ops/handshake_metrics.h"
#include "common/ops/ops_server.h"
#include "common/process_defaults.h"
#include "common/tls/buffer_pool.h"
#include "mef/admin/envelope_kpm_sealer.h"
#include "mef/admin/mef_admin_service.h"
#include "mef/bootstrap/bootstrap_server.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/metrics/mef_metrics.h"
#include "mef/spec_fetch/mtls_http_server.h"
#include "mef/spec_fetch/spec_fetch_handler.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"
#include "services/common/flag_list.h"
#include "services/common/listener_options.h"
#include "services/common/mef_fqdn.h"
#include "services/common/service_setup.h"
#include "services/common/store_flags.h"
#include "services/common/store_selection.h"

ABSL_FLAG(std::string, tls_listen, "[::]:8443",
          "TLS-PSK bootstrap addresses (comma-separated); empty: none.");
ABSL_FLAG(std::string, dtls_listen, "[::]:5684",
          "DTLS-PSK bootstrap addresses (comma-separated); empty: none.");
ABSL_FLAG(std::string, credential_grpc_listen, "[::]:9443",
          "gRPC credential fetch for MAFs (mutual TLS); empty: off.");
ABSL_FLAG(std::string, fetch_https_listen, "",
          "HTTPS (mutual TLS) RETRIEVE /fetchCredentials/<KeID>/<SUID> for Enrolment Targets "
          "(TS-0003 8.3.2.1), with the --tls_cert/--tls_key/--tls_ca files; empty: off.");
ABSL_FLAG(std::string, admin_grpc_listen, "[::]:9444", "gRPC admin API (mutual TLS); empty: off.");
ABSL_FLAG(std::string, ops_listen, "[::]:9090",
          "Plain HTTP /healthz /readyz /metrics; empty: off.");
ABSL_FLAG(std::string, mef_fqdn, "", "This MEF's FQDN: the suffix of every KeID (required).");
ABSL_FLAG(bool, coap_legacy_option_numbers, false,
          "Also accept the oneM2M CoAP option numbers of TS-0008 before V3.7 (FR 256, RQI 257, RSC "
          "265) and answer in the numbering the request used; for old firmware "
          "(docs/exchange.md 3).");
ABSL_FLAG(bool, require_sni, true, "Refuse handshakes whose SNI is not --mef_fqdn.");
ABSL_FLAG(std::string, kek_file, "", "Key-encryption keyring file or directory (required).");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate for the gRPC ports.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for the gRPC ports.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle that signs MAF and admin client certificates.");
ABSL_FLAG(std::string, admin_identities, "",
          "Comma-separated client-certificate DNS names allowed on the admin API.");
ABSL_FLAG(
    std::string, tls_suites, "",
    "TLS suites in preference order (IANA or OpenSSL names); empty: docs/protocol.md defaults.");
ABSL_FLAG(std::string, dtls_suites, "",
          "DTLS suites in preference order; empty: docs/protocol.md defaults.");
ABSL_FLAG(int, io_threads, 2, "Bootstrap I/O threads.");
ABSL_FLAG(int, credential_fetch_threads, 4,
          "Threads polling credential fetches; each batch is answered with one store read, at "
          "most two reads out at once.");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10), "Handshake deadline per session.");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Seconds(30), "Close sessions idle this long.");
ABSL_FLAG(int, max_sessions, 10000,
          "Open TLS/DTLS sessions the whole server may hold (0: no cap); past it new connections "
          "are closed before their handshake and counted as outcome=\"over_capacity\".");
ABSL_FLAG(int64_t, memory_budget_bytes, int64_t{320} << 20,
          "Heap bytes in use (sampled) past which new TLS/DTLS sessions are refused like past "
          "--max_sessions (0: no budget).");
ABSL_FLAG(int, max_sessions_per_source, 256,
          "Open sessions one source address may hold (0: no cap).");
ABSL_FLAG(absl::Duration, default_lifetime, absl::Hours(24),
          "Ke lifetime when an enrolee sets none.");
ABSL_FLAG(std::string, default_maf_uri, "",
          "MAF base URI for enrolees provisioned without maf_uri, e.g. "
          "https://maf.example.com:8443; the enrolment answer's MAF URIs (TS-0003 Table 8.3.2.1-3) "
          "are this base plus "
          "/maf/clients, /maf/keys, /maf/keys/retrieve. Empty: https:// (TLS) or coaps:// (DTLS) "
          "followed by the MAF-ID.");
ABSL_FLAG(std::string, maf_client_registration_uri, "",
          "MAF Client Registration URI for every enrolee's answer; empty: derived (see "
          "--default_maf_uri).");
ABSL_FLAG(std::string, maf_key_registration_uri, "",
          "MAF Key Registration URI for every enrolee's answer; empty: derived.");
ABSL_FLAG(std::string, maf_key_retrieval_uri, "",
          "MAF Key Retrieval URI for every enrolee's answer; empty: derived.");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(20), "SIGTERM: time for in-flight work.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, log_format, "json", "json or text.");
ABSL_FLAG(std::string, audit_log, "-", "Audit stream file ('-' = stdout).");

namespace onem2m {
namespace {

// ListenerFlags gathers the bootstrap listener flags (validated by ServiceSetup::Listeners).
services::ListenerFlags ListenerFlags() {
  services::ListenerFlags f;
  f.tls_listen = absl::GetFlag(FLAGS_tls_listen);
  f.dtls_listen = absl::GetFlag(FLAGS_dtls_listen);
  f.tls_suites = absl::GetFlag(FLAGS_tls_suites);
  f.dtls_suites = absl::GetFlag(FLAGS_dtls_suites);
  f.require_sni = absl::GetFlag(FLAGS_require_sni);
  f.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  f.idle_timeout = absl::GetFlag(FLAGS_idle_timeout);
  f.io_threads = absl::GetFlag(FLAGS_io_threads);
  f.max_sessions = absl::GetFlag(FLAGS_max_sessions);
  f.max_sessions_per_source = absl::GetFlag(FLAGS_max_sessions_per_source);
  f.memory_budget_bytes = absl::GetFlag(FLAGS_memory_budget_bytes);
  f.coap_legacy_option_numbers = absl::GetFlag(FLAGS_coap_legacy_option_numbers);
  return f;
}

int Run() {
  services::ServiceSetup setup("mef_server");
  setup.ConfigureLogging(absl::GetFlag(FLAGS_log_level), absl::GetFlag(FLAGS_log_format),
                         absl::GetFlag(FLAGS_audit_log));
  const std::string mef_fqdn = setup.RequireFqdn("mef_fqdn", absl::GetFlag(FLAGS_mef_fqdn));
  if (absl::Status s = services::CheckMefFqdnFitsKeyId(mef_fqdn); !s.ok()) {
    setup.Die("mef_fqdn", s);
  }
  crypto::Envelope envelope = setup.LoadEnvelope(absl::GetFlag(FLAGS_kek_file));
  const sigset_t signals = services::BlockTerminationSignals();

  // The ops port comes first: liveness answers during start-up and /readyz says what it waits for.
  auto registry = std::make_shared<prometheus::Registry>();
  ops::RegisterBuildInfo(*registry, "mef");
  setup.WatchTlsFiles(registry);
  ops::OpsServer ops(registry);
  setup.StartOps(ops, absl::GetFlag(FLAGS_ops_listen));

  const services::StoreSelection selection = setup.Require(
      services::ParseStoreSelection(services::StoreFlagsFromCommandLine(), "mef_server"));
  // The group commit's linger asks the TLS/DTLS server, which starts later, how busy it is.
  const auto open_sessions = std::make_shared<services::OpenSessions>();
  services::OpenedStore<mef::EnroleeStore> opened =
      services::OpenStore<mef::EnroleeStore, mef::PgEnroleeStore>(
          setup, ops, signals, selection, "enrolments are lost on exit; not for production",
          [] { return std::make_unique<mef::MemoryEnroleeStore>(); },
          [open_sessions](const pg::PoolOptions& pool) {
            mef::PgEnroleeStoreOptions po;
            po.pool = pool;
            po.writes.linger = services::WriteLingerFromFlags(open_sessions);
            return mef::PgEnroleeStore::Create(po);
          });
  if (opened.store == nullptr) {
    ops.Stop();
    return 0;
  }
  mef::EnroleeStore* const store = opened.store.get();

  ops::HandshakeMetrics handshake_metrics(*registry, "onem2m_mef");
  mef::MefMetrics metrics(*registry);

  // Bootstrap listeners (docs/protocol.md 2-4).
  mef::BootstrapServerOptions bo;
  services::ApplyListenerOptions(setup.Listeners(ListenerFlags()), &bo);
  bo.mef_fqdn = mef_fqdn;
  bo.default_lifetime = absl::GetFlag(FLAGS_default_lifetime);
  bo.default_maf_uri = absl::GetFlag(FLAGS_default_maf_uri);
  bo.maf_client_registration_uri = absl::GetFlag(FLAGS_maf_client_registration_uri);
  bo.maf_key_registration_uri = absl::GetFlag(FLAGS_maf_key_registration_uri);
  bo.maf_key_retrieval_uri = absl::GetFlag(FLAGS_maf_key_retrieval_uri);
  for (const auto& [flag, uri] : mef::MafUriOptions(bo)) {
    if (absl::Status s = mef::ValidateMafUri(*uri); !s.ok()) setup.Die(flag, s);
  }
  absl::StatusOr<std::unique_ptr<mef::BootstrapServer>> psk =
      mef::BootstrapServer::Start(bo, store, &envelope, &metrics, &handshake_metrics);
  if (!psk.ok()) setup.Die("tls_listen/dtls_listen", psk.status());
  open_sessions->Attach([server = psk->get()] { return server->open_sessions(); });
  // Declared after the server, so it detaches before the server is destroyed.
  absl::Cleanup detach_sessions = [&open_sessions] { open_sessions->Attach(nullptr); };

  // gRPC: credential fetch for MAFs (section 6) and administration, both mutual TLS, each on its
  // own server: the admin API does not answer on the credential port, so the NetworkPolicy that
  // fences the admin port means something. Each service also checks the caller's certificate.
  mef::EnvelopeKeOpener opener(&envelope);
  mef::MefCredentialServiceImpl::Options co;
  co.metrics = &metrics;
  co.fetch_threads = absl::GetFlag(FLAGS_credential_fetch_threads);
  absl::StatusOr<std::unique_ptr<mef::MefCredentialServiceImpl>> credential =
      mef::MefCredentialServiceImpl::Create(store, &opener, co);
  if (!credential.ok()) setup.Die("credential_grpc_listen", credential.status());
  mef::EnvelopeKpmSealer sealer(&envelope);
  mef::MefAdminOptions ao;
  ao.envelope = &envelope;  // KekStatus / RewrapBatch
  for (const std::string& id : services::SplitList(absl::GetFlag(FLAGS_admin_identities))) {
    ao.admin_identities.insert(id);
  }
  const std::string cred_addr = absl::GetFlag(FLAGS_credential_grpc_listen);
  const std::string admin_addr = absl::GetFlag(FLAGS_admin_grpc_listen);
  std::unique_ptr<mef::MefAdminServiceImpl> admin;
  if (!admin_addr.empty()) {
    absl::StatusOr<std::unique_ptr<mef::MefAdminServiceImpl>> a =
        mef::MefAdminServiceImpl::Create(store, &sealer, ao);
    if (!a.ok()) setup.Die("admin_identities", a.status());
    admin = std::move(*a);
  }
  services::GrpcListener cred_listener{"credential_grpc_listen", cred_addr, {}, nullptr};
  cred_listener.configure = [&](grpc::ServerBuilder* b) { (*credential)->Register(b); };
  services::GrpcListener admin_listener{"admin_grpc_listen", admin_addr, {}, nullptr};
  if (admin != nullptr) admin_listener.services.push_back(admin.get());
  services::GrpcServers grpc_servers = setup.StartGrpcServers(
      {cred_listener, admin_listener},
      {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_ca)},
      registry);
  (*credential)->Start();

  // The spec's own fetch binding (docs/protocol.md 6): same decision path as the gRPC fetch.
  mef::SpecFetchHandler spec_fetch((*credential)->fetcher());
  std::unique_ptr<mef::MtlsHttpServer> fetch_https;
  const std::string fetch_addr = absl::GetFlag(FLAGS_fetch_https_listen);
  if (!fetch_addr.empty()) {
    mef::MtlsHttpServer::Options fo;
    fo.tls = {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
              absl::GetFlag(FLAGS_tls_ca)};
    absl::StatusOr<std::unique_ptr<mef::MtlsHttpServer>> f = mef::MtlsHttpServer::Create(
        fetch_addr, fo,
        [&spec_fetch](const http::HttpRequest& r, const std::vector<std::string>& names) {
          return spec_fetch.Handle(r, names);
        });
    if (!f.ok()) setup.Die("fetch_https_listen", f.status());
    fetch_https = std::move(*f);
    fetch_https->Start();
  }

  setup.AddStoreChecks(
      ops, [store] { return store->CheckHealth(); }, *registry, opened.pool);
  ops.SetStarted();

  Log(Level::kInfo, "mef_started",
      {{"version", std::string(ops::BuildVersion())},
       {"mef_fqdn", mef_fqdn},
       {"tls", services::DescribeAddresses((*psk)->tls_addresses())},
       {"dtls", services::DescribeAddresses((*psk)->dtls_addresses())},
       {"credential_grpc", cred_addr},
       {"admin_grpc", admin_addr},
       {"fetch_https_port", fetch_https ? std::to_string(fetch_https->port()) : ""},
       {"ops_port", std::to_string(ops.port())},
       {"store", services::StoreFlagsFromCommandLine().store}});

  int sig = services::WaitForTermination(signals);
  // Drain (issue: readiness goes false first, then listeners stop, in-flight work finishes).
  Log(Level::kInfo, "mef_draining", {{"signal", std::to_string(sig)}});
  ops.SetDraining();
  grpc_servers.SetServing(false);
  (*credential)->Shutdown();
  if (fetch_https) fetch_https->Stop();
  (*psk)->Shutdown(absl::GetFlag(FLAGS_grace_period));
  grpc_servers.Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  (*credential)->Stop();  // after the server: its fetch threads finish the calls in progress
  return setup.StopOps(ops, "mef_stopped");
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  // Before anything can make OpenSSL allocate: a half-open TLS session's unused buffer pages then
  // stay non-resident (common/tls/buffer_pool.h; docs/operations.md "Memory per session").
  const auto pool = onem2m::tls::buffer_pool::InstallUnlessDisabled();
  onem2m::ApplyProcessDefaults();
  onem2m::ops::InstallVersionFlag("mef_server");
  onem2m::config::LoadFlags(
      argc, argv,
      "mef_server: oneM2M M2M Enrolment Function.\n"
      "Precedence: --flag > ONEM2M_<FLAG> environment > --config file > default.");
  if (pool == onem2m::tls::buffer_pool::Outcome::kFailed) {
    onem2m::Log(onem2m::Level::kWarning, "openssl_buffer_pool_off",
                {{"effect", "OpenSSL allocates from malloc; half-open sessions cost more memory"}});
  }
  return onem2m::Run();
}
