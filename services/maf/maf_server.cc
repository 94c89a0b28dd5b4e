// maf_server: the MAF (M2M Authentication Function) of docs/protocol.md 7.
//
// Serves the MAF Handshake over TLS-PSK (TCP) and DTLS-PSK (UDP): psk_identity KeID (Km fetched
// from the MEF named after '@', over gRPC with mutual TLS, single flight) or KmID (stored Km); then
// the MAF Security Framework procedures (8.8.2.x) over the session. A RevocationWatcher per MEF
// feeds revocations to the KmResolver. /healthz, /readyz, /metrics on the ops port. SIGTERM
// drains. Configuration: flags > ONEM2M_<FLAG> environment > --config file.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "common/allocator/allocator.h"
#include "common/config/flags_loader.h"
#include "common/crypto/envelope.h"
#include "common/grpc/mtls.h"
#include "common/log/logger.h"
#include "common/ops/build_info.h"
#include "common/ops/handshake_metrics.h"
#include "common/ops/ops_server.h"
#include "common/process_defaults.h"
#include "common/tls/buffer_pool.h"
#include "maf/grpc/maf_admin_service.h"
#include "maf/grpc/maf_key_service.h"
#include "maf/km_resolver/cache_ttls.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/mef_client/mef_revocations.h"
#include "maf/metrics/maf_metrics.h"
#include "maf/server/handshake_server.h"
#include "maf/store/memory_maf_store.h"
#include "maf/store/pg_maf_store.h"
#include "services/common/flag_list.h"
#include "services/common/listener_options.h"
#include "services/common/mef_channels.h"
#include "services/common/mef_endpoints.h"
#include "services/common/service_setup.h"
#include "services/common/store_flags.h"
#include "services/common/store_selection.h"

ABSL_FLAG(std::string, tls_listen, "[::]:8444",
          "TLS-PSK MAF handshake addresses (comma-separated); empty: none.");
ABSL_FLAG(std::string, dtls_listen, "[::]:5685",
          "DTLS-PSK MAF handshake addresses (comma-separated); empty: none.");
ABSL_FLAG(std::string, key_grpc_listen, "",
          "gRPC MafKeyService for backend Targets (mutual TLS); empty: off.");
ABSL_FLAG(std::string, admin_grpc_listen, "", "gRPC MafAdminService (mutual TLS); empty: off.");
ABSL_FLAG(std::string, ops_listen, "[::]:9091",
          "Plain HTTP /healthz /readyz /metrics; empty: off.");
ABSL_FLAG(std::string, maf_fqdn, "",
          "This MAF's FQDN = MAF-ID (required); must equal the DNS name in --tls_cert.");
ABSL_FLAG(std::string, mef_endpoints, "",
          "Comma list of mef_fqdn=target[@tls_name] for the MEF credential services (required). "
          "target: host:port, a gRPC target such as dns:///mef-credential:9443 (every address is "
          "used, round robin), or replicas a:p|b:p; tls_name: the name the MEF's certificate must "
          "carry when it is not the target's host.");
ABSL_FLAG(bool, coap_legacy_option_numbers, false,
          "Also accept the oneM2M CoAP option numbers of TS-0008 before V3.7 (FR 256, RQI 257, RSC "
          "265) and answer in the numbering the request used; for old firmware "
          "(docs/exchange.md 3).");
ABSL_FLAG(std::string, admin_fqdn, "",
          "adminFQDN: the administrating stakeholder this MAF registers clients and keys for "
          "(TS-0003 8.8.3.2); requests naming another get RSC 4103. Default: --maf_fqdn.");
ABSL_FLAG(absl::Duration, mef_resolve_interval, absl::Seconds(30),
          "Least time between two DNS resolutions of a dns:/// --mef_endpoints target.");
ABSL_FLAG(bool, require_sni, false, "Refuse handshakes whose SNI is not --maf_fqdn.");
ABSL_FLAG(std::string, kek_file, "", "Key-encryption keyring file or directory (required).");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate (DNS name = --maf_fqdn) for gRPC server and MEF client.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle verifying MEFs, Targets and admins.");
ABSL_FLAG(std::string, admin_identities, "",
          "Comma-separated client-certificate DNS names allowed on the admin API.");
ABSL_FLAG(std::string, tls_suites, "",
          "TLS suites in preference order; empty: docs/protocol.md defaults.");
ABSL_FLAG(std::string, dtls_suites, "",
          "DTLS suites in preference order; empty: docs/protocol.md defaults.");
ABSL_FLAG(int, io_threads, 2, "Handshake/session I/O threads.");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10), "Handshake deadline per session.");
ABSL_FLAG(int, request_workers, 8, "Worker threads for MAF procedures (they use the store).");
ABSL_FLAG(absl::Duration, fetch_timeout, absl::Seconds(2), "Deadline of one Km fetch from a MEF.");
ABSL_FLAG(absl::Duration, cache_ttl, absl::Seconds(30),
          "How long a Km fetched or read is served from memory (1s..1h); bounds staleness after a "
          "revocation made elsewhere.");
ABSL_FLAG(absl::Duration, negative_ttl, absl::ZeroDuration(),
          "How long an unknown KeID or KmID is refused from memory; 0: the same as --cache_ttl "
          "(any other value must equal it, so the caches reveal nothing).");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Seconds(30), "Close sessions idle this long.");
ABSL_FLAG(int, max_sessions, 10000,
          "Open TLS/DTLS sessions the whole server may hold (0: no cap); past it new connections "
          "are closed before their handshake and counted as outcome=\"over_capacity\".");
ABSL_FLAG(int64_t, memory_budget_bytes, int64_t{320} << 20,
          "Heap bytes in use (sampled) past which new TLS/DTLS sessions are refused like past "
          "--max_sessions (0: no budget).");
ABSL_FLAG(int, max_sessions_per_source, 256,
          "Open sessions one source address may hold (0: no cap).");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(20), "SIGTERM: time for in-flight work.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, log_format, "json", "json or text.");
ABSL_FLAG(std::string, audit_log, "-", "Audit stream file ('-' = stdout).");

namespace onem2m {
namespace {

// ListenerFlags gathers the MAF handshake listener flags (validated by ServiceSetup::Listeners).
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
  services::ServiceSetup setup("maf_server");
  setup.ConfigureLogging(absl::GetFlag(FLAGS_log_level), absl::GetFlag(FLAGS_log_format),
                         absl::GetFlag(FLAGS_audit_log));
  const std::string maf_fqdn = setup.RequireFqdn("maf_fqdn", absl::GetFlag(FLAGS_maf_fqdn));
  crypto::Envelope envelope = setup.LoadEnvelope(absl::GetFlag(FLAGS_kek_file));
  const sigset_t signals = services::BlockTerminationSignals();

  // The ops port comes first: liveness answers during start-up and /readyz says what it waits for.
  auto registry = std::make_shared<prometheus::Registry>();
  ops::RegisterBuildInfo(*registry, "maf");
  setup.WatchTlsFiles(registry);
  ops::OpsServer ops(registry);
  setup.StartOps(ops, absl::GetFlag(FLAGS_ops_listen));

  const services::StoreSelection selection = setup.Require(
      services::ParseStoreSelection(services::StoreFlagsFromCommandLine(), "maf_server"));
  // The group commit's linger asks the TLS/DTLS server, which starts later, how busy it is.
  const auto open_sessions = std::make_shared<services::OpenSessions>();
  services::OpenedStore<maf::MafStore> opened = services::OpenStore<maf::MafStore, maf::PgMafStore>(
      setup, ops, signals, selection, "registrations are lost on exit; not for production",
      [] { return maf::MemoryMafStore::Create(); },
      [open_sessions](const pg::PoolOptions& pool) {
        maf::PgMafStoreOptions po;
        po.pool = pool;
        po.writes.linger = services::WriteLingerFromFlags(open_sessions);
        return maf::PgMafStore::Create(po);
      });
  if (opened.store == nullptr) {
    ops.Stop();
    return 0;
  }
  maf::MafStore* const store = opened.store.get();

  // MEF credential channels (mutual TLS; our certificate names our MAF-ID), one per MEF. Fetches
  // spread over every replica a target names; a dead or draining one is skipped, a MEF that is
  // down fails fast and is reconnected within a second of its return (maf::MefChannelArguments).
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> channel_creds =
      grpcutil::MakeChannelCredentials({absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                                        absl::GetFlag(FLAGS_tls_ca)});
  if (!channel_creds.ok()) setup.Die("tls_cert/tls_key/tls_ca", channel_creds.status());
  ops::HandshakeMetrics handshake_metrics(*registry, "onem2m_maf");
  maf::MafMetrics metrics(*registry);
  const std::map<std::string, std::shared_ptr<grpc::Channel>> channels = services::DialMefEndpoints(
      setup.Require(services::ParseMefEndpoints(absl::GetFlag(FLAGS_mef_endpoints))),
      *channel_creds, maf::MefChannelArguments(), absl::GetFlag(FLAGS_mef_resolve_interval));

  maf::KmResolverOptions ko;
  ko.maf_fqdn = maf_fqdn;
  ko.store = store;
  ko.envelope = &envelope;
  ko.default_timeout = absl::GetFlag(FLAGS_fetch_timeout);
  absl::StatusOr<maf::CacheTtls> ttls =
      maf::ResolveCacheTtls(absl::GetFlag(FLAGS_cache_ttl), absl::GetFlag(FLAGS_negative_ttl));
  if (!ttls.ok()) setup.Die("cache_ttl/negative_ttl", ttls.status());
  ko.cache_ttl = ttls->cache_ttl;
  ko.negative_ttl = ttls->negative_ttl;
  for (const auto& [mef_fqdn, channel] : channels) {
    ko.fetchers[mef_fqdn] =
        metrics.Timed(std::make_shared<maf::MefCredentialClient>(channel, maf_fqdn));
  }
  // Cached Km is served only while the revocation watch on its MEF is healthy (see
  // KmResolverOptions::trust_cache); the watches start below, before any handshake.
  // Revocation writes the store refuses are retried (by the watch, or the resolver's next flight)
  // and counted.
  maf::RevocationWatcher::Options watch;
  watch.on_event_failed = [&metrics](const absl::Status&) {
    metrics.OnRevocationWriteFailure("watch");
  };
  maf::MefRevocations revocations(watch);
  ko.trust_cache = revocations.TrustCache();
  ko.on_revocation_write_failed = [&metrics](const absl::Status&) {
    metrics.OnRevocationWriteFailure("fetch");
  };
  absl::StatusOr<std::shared_ptr<maf::KmResolver>> km_resolver = maf::KmResolver::Create(ko);
  if (!km_resolver.ok()) setup.Die("mef_endpoints", km_resolver.status());

  // Revocations from every MEF.
  revocations.Start(*km_resolver, {channels.begin(), channels.end()});

  // MAF handshake listeners (docs/protocol.md 7).
  maf::HandshakeServerOptions ho;
  ho.maf_fqdn = maf_fqdn;
  ho.admin_fqdn = absl::GetFlag(FLAGS_admin_fqdn).empty()
                      ? maf_fqdn
                      : setup.RequireFqdn("admin_fqdn", absl::GetFlag(FLAGS_admin_fqdn));
  services::ApplyListenerOptions(setup.Listeners(ListenerFlags()), &ho);
  ho.fetch_timeout = absl::GetFlag(FLAGS_fetch_timeout);
  ho.request_workers = std::max(1, absl::GetFlag(FLAGS_request_workers));
  maf::MafMetrics* m = &metrics;
  ho.handshake_records.on_notes = [m](absl::string_view outcome, int64_t n) {
    m->OnHandshakeNotes(outcome, n);
  };
  absl::StatusOr<std::unique_ptr<maf::HandshakeServer>> psk = maf::HandshakeServer::Start(
      ho, store, &envelope, *km_resolver,
      [m](const std::string& path, int rsc) { m->OnRequest(path, rsc); }, &handshake_metrics);
  if (!psk.ok()) setup.Die("tls_listen/dtls_listen", psk.status());
  open_sessions->Attach([server = psk->get()] { return server->open_sessions(); });
  // Declared after the server, so it detaches before the server is destroyed.
  absl::Cleanup detach_sessions = [&open_sessions] { open_sessions->Attach(nullptr); };

  // gRPC: Key Retrieval for backend Targets and the admin API, each on its own port, mutual TLS.
  maf::MafKeyServiceImpl key_service(store, &envelope, maf_fqdn, &metrics);
  maf::MafAdminServiceOptions ao;
  ao.store = store;
  for (const std::string& id : services::SplitList(absl::GetFlag(FLAGS_admin_identities)))
    ao.admins.insert(id);
  {
    std::shared_ptr<maf::KmResolver> r = *km_resolver;
    ao.on_client_revoked = [r](const crypto::KeyId& km_id) { r->ForgetKmId(km_id); };
  }
  ao.envelope = &envelope;  // KekStatus / RewrapBatch (KEK rotation, docs/operations.md)
  maf::MafAdminServiceImpl admin_service(std::move(ao));
  const std::string key_addr = absl::GetFlag(FLAGS_key_grpc_listen);
  const std::string admin_addr = absl::GetFlag(FLAGS_admin_grpc_listen);
  services::GrpcServers grpc_servers = setup.StartGrpcServers(
      {{"key_grpc_listen", key_addr, {&key_service}, nullptr},
       {"admin_grpc_listen", admin_addr, {&admin_service}, nullptr}},
      {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_ca)},
      registry);

  setup.AddStoreChecks(
      ops, [store] { return store->CheckHealth(); }, *registry, opened.pool);
  ops.SetStarted();

  Log(Level::kInfo, "maf_started",
      {{"version", std::string(ops::BuildVersion())},
       {"maf_fqdn", maf_fqdn},
       {"admin_fqdn", ho.admin_fqdn},
       {"tls", services::DescribeAddresses((*psk)->tls_addresses())},
       {"dtls", services::DescribeAddresses((*psk)->dtls_addresses())},
       {"key_grpc", key_addr},
       {"admin_grpc", admin_addr},
       {"ops_port", std::to_string(ops.port())},
       {"store", services::StoreFlagsFromCommandLine().store},
       {"malloc", std::string(allocator::Name())}});

  int sig = services::WaitForTermination(signals);
  Log(Level::kInfo, "maf_draining", {{"signal", std::to_string(sig)}});
  ops.SetDraining();
  grpc_servers.SetServing(false);
  (*psk)->Shutdown(absl::GetFlag(FLAGS_grace_period));
  grpc_servers.Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  revocations.Stop();
  (void)(*km_resolver)->WaitIdle(absl::Now() + absl::Seconds(3));
  return setup.StopOps(ops, "maf_stopped");
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  // First, as in mef_server: a half-open TLS session's unused OpenSSL buffer pages then stay
  // non-resident (common/tls/buffer_pool.h; docs/operations.md "Memory per session").
  const auto pool = onem2m::tls::buffer_pool::InstallUnlessDisabled();
  onem2m::ApplyProcessDefaults();
  onem2m::ops::InstallVersionFlag("maf_server");
  onem2m::config::LoadFlags(
      argc, argv,
      "maf_server: oneM2M M2M Authentication Function.\n"
      "Precedence: --flag > ONEM2M_<FLAG> environment > --config file > default.");
  if (pool == onem2m::tls::buffer_pool::Outcome::kFailed) {
    onem2m::Log(onem2m::Level::kWarning, "openssl_buffer_pool_off",
                {{"effect", "OpenSSL allocates from malloc; half-open sessions cost more memory"}});
  }
  return onem2m::Run();
}
