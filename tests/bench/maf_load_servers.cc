// The processes maf_load forks: the MEF (credential service over mutual TLS), the MAF (as
// services/maf/maf_server.cc runs it) and the bare OpenSSL baseline, and the MEF store seeding
// they start from. See maf_load_servers.h.
#include "tests/bench/maf_load_servers.h"

#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/key_id.h"
#include "common/grpc/server_threads.h"
#include "common/log/logger.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/mef_credential_client.h"
#include "maf/server/handshake_server.h"
#include "maf/store/memory_maf_store.h"
#include "maf/store/pg_maf_store.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"
#include "services/common/open_sessions.h"
#include "tests/bench/load_kit.h"

namespace onem2m::bench {

namespace {

void WritePort(int fd, int port) { WritePorts(fd, {port}); }

}  // namespace

void PopulateMefStore(mef::EnroleeStore* store, const std::vector<Device>& devices,
                      const crypto::Envelope& env, int threads) {
  std::vector<mef::Enrolee> rows;
  rows.reserve(devices.size());
  for (const Device& d : devices) {
    mef::Enrolee e;
    e.kpm_id = d.kpm_id;
    e.kpm = mef::SealedKey{*env.Seal(SecretBytes::Random(32), d.kpm_id),
                           static_cast<int32_t>(env.active_version())};
    e.enrolee_id = d.enrolee_id;
    e.maf_id = kMafFqdn;
    rows.push_back(std::move(e));
  }
  auto bulk = store->BulkCreate(rows);
  if (!bulk.ok()) {
    // MemoryEnroleeStore may not implement it; fall back to one by one.
    for (const auto& e : rows) {
      if (!store->CreateEnrolee(e).ok()) {
        std::fprintf(stderr, "CreateEnrolee failed\n");
        std::abort();
      }
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < devices.size();) {
        const Device& d = devices[i];
        mef::Enrolment m;
        m.ke_id = *crypto::KeyId::Parse(d.ke_id);
        m.kpm_id = d.kpm_id;
        m.ke = mef::SealedKey{*env.Seal(SecretBytes::Copy(d.ke), d.ke_id),
                              static_cast<int32_t>(env.active_version())};
        m.enrolee_id = d.enrolee_id;
        m.maf_id = kMafFqdn;
        m.expires_at = absl::Now() + absl::Hours(24);
        m.transport = mef::Transport::kTls;
        m.peer_address = "127.0.0.1:1";
        absl::Status s = store->RecordEnrolment(m);
        if (!s.ok() && failed++ == 0)
          std::fprintf(stderr, "RecordEnrolment: %s\n", s.ToString().c_str());
      }
    });
  }
  for (auto& t : ts) t.join();
  if (failed > 0) {
    std::fprintf(stderr, "%d enrolments failed\n", failed.load());
    std::abort();
  }
}

pg::PoolOptions PoolFor(const std::string& conninfo, const std::string& schema, int size,
                        const char* app) {
  pg::PoolOptions p;
  p.conninfo = conninfo;
  p.schema = schema;
  p.max_size = size;
  p.application_name = app;
  return p;
}

void RunMefChild(const MafLoadServerOptions& options, const std::string& conninfo,
                 const std::string& schema, const crypto::Envelope* envelope,
                 const std::vector<Device>* devices, const ::onem2m::testing::MtlsEnv* mtls,
                 int out_fd) {
  SetLogLevel(Level::kWarning);
  SetAuditPath(
      absl::StrCat(::onem2m::testing::TempDir(), "/maf_load_mef_audit.", getpid(), ".log"));
  std::unique_ptr<mef::EnroleeStore> store;
  if (options.mef_store == "memory") {
    auto m = std::make_unique<mef::MemoryEnroleeStore>();
    PopulateMefStore(m.get(), *devices, *envelope, 1);
    store = std::move(m);
  } else {
    mef::PgEnroleeStoreOptions po;
    po.pool = PoolFor(conninfo, schema, options.mef_pg_pool_size, "maf_load_mef");
    auto s = mef::PgEnroleeStore::Create(po);
    if (!s.ok()) {
      std::fprintf(stderr, "MEF store: %s\n", s.status().ToString().c_str());
      WritePort(out_fd, 0);
      _exit(1);
    }
    store = *std::move(s);
  }
  auto* opener = new mef::EnvelopeKeOpener(envelope);
  auto service = mef::MefCredentialServiceImpl::Create(store.get(), opener, {});
  if (!service.ok()) {
    WritePort(out_fd, 0);
    _exit(1);
  }
  grpc::ServerBuilder b;
  grpcutil::KeepServerThreads(&b);
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", mtls->ServerCredentials(), &port);
  (*service)->Register(&b);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  if (server) (*service)->Start();
  WritePort(out_fd, server ? port : 0);
  for (;;) pause();
}

void RunMafChild(const MafLoadServerOptions& options, const std::string& conninfo,
                 const std::string& schema, int mef_port, const ::onem2m::testing::MtlsEnv* mtls,
                 int out_fd) {
  SetLogLevel(Level::kWarning);
  SetAuditPath(
      absl::StrCat(::onem2m::testing::TempDir(), "/maf_load_maf_audit.", getpid(), ".log"));
  auto* envelope = new crypto::Envelope(crypto::Keyring::Generate(1));
  // Lingers as maf_server's group commit does by default (the child never stops: no detach).
  auto sessions = std::make_shared<services::OpenSessions>();
  std::unique_ptr<maf::MafStore> store;
  if (options.maf_store == "memory") {
    store = maf::MemoryMafStore::Create();
  } else {
    maf::PgMafStoreOptions po;
    po.pool = PoolFor(conninfo, schema, options.maf_pg_pool_size, "maf_load_maf");
    po.writes.linger.busy = services::LingerBusyAt(sessions, services::kLingerBusySessions);
    auto s = maf::PgMafStore::Create(std::move(po));
    if (!s.ok()) {
      std::fprintf(stderr, "MAF store: %s\n", s.status().ToString().c_str());
      WritePort(out_fd, 0);
      _exit(1);
    }
    store = *std::move(s);
  }
  maf::KmResolverOptions ko;
  ko.maf_fqdn = kMafFqdn;
  ko.store = store.get();
  ko.envelope = envelope;
  ko.default_timeout = options.fetch_timeout;
  ko.cache_ttl = options.km_cache_ttl;
  ko.fetchers[kMefFqdn] =
      std::make_shared<maf::MefCredentialClient>(mtls->Channel(mef_port, kMafFqdn), kMafFqdn);
  auto km_resolver = maf::KmResolver::Create(std::move(ko));
  if (!km_resolver.ok()) {
    WritePort(out_fd, 0);
    _exit(1);
  }
  // As services/maf/maf_server.cc runs it.
  maf::HandshakeServerOptions ho;
  ho.maf_fqdn = kMafFqdn;
  ho.tls_listen = {"127.0.0.1:0"};
  ho.handshake_timeout = absl::Seconds(10);
  ho.fetch_timeout = options.fetch_timeout;
  ho.io_threads = options.io_threads;
  ho.max_sessions_per_source = 0;  // every simulated device comes from 127.0.0.1
  auto psk = maf::HandshakeServer::Start(ho, store.get(), envelope, *km_resolver, {}, nullptr);
  if (!psk.ok()) {
    std::fprintf(stderr, "MAF server: %s\n", psk.status().ToString().c_str());
    WritePort(out_fd, 0);
    _exit(1);
  }
  sessions->Attach([s = psk->get()] { return s->open_sessions(); });
  WritePort(out_fd, (*psk)->tls_addresses().at(0).port());
  for (;;) pause();
}

void RunBaselineChild(const MafLoadServerOptions& options, const SecretBytes* key, int out_fd) {
  RunBareOpenSslServer(key, options.suite, options.baseline_threads, out_fd, [](SSL* ssl) {
    unsigned char k[48];
    SSL_export_keying_material(ssl, k, sizeof k, kExporterLabel, strlen(kExporterLabel), nullptr, 0,
                               0);
    OPENSSL_cleanse(k, sizeof k);
    char buf[256];
    while (SSL_read(ssl, buf, sizeof buf) > 0) {
    }
  });
}

}  // namespace onem2m::bench
