// In-process MEF for end-to-end tests and the load generator, wired exactly as
// services/mef/mef_server.cc wires it: PgEnroleeStore + KpmResolver + EnrolmentSessionFactory +
// PskServer (TLS and DTLS on 127.0.0.1:0, SNI required). No metrics observer.
#ifndef ONEM2M_TESTS_E2E_IN_PROCESS_MEF_H_
#define ONEM2M_TESTS_E2E_IN_PROCESS_MEF_H_

#include <cstdio>
#include <memory>

#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/pg/pool.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/psk_context.h"
#include "mef/bootstrap/enrolment_session.h"
#include "mef/bootstrap/kpm_resolver.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m::e2e {

inline constexpr char kFqdn[] = "mef.local";

// Mef is one in-process MEF over a PostgreSQL store.
struct Mef {
  std::unique_ptr<mef::PgEnroleeStore> store;
  std::shared_ptr<mef::KpmResolver> resolver;
  std::unique_ptr<mef::EnrolmentSessionFactory> factory;
  std::unique_ptr<server::PskServer> server;
  int tls_port = 0;
  int dtls_port = 0;

  ~Mef() {
    if (server) server->Shutdown(absl::Seconds(2));
    server.reset();
    factory.reset();
    resolver.reset();
    store.reset();
  }
};

inline std::unique_ptr<Mef> StartMef(const pg::PoolOptions& pool, const crypto::Envelope* envelope,
                                     absl::Duration handshake_timeout = absl::Seconds(3),
                                     int io_threads = 2, int pool_size = 4,
                                     absl::Duration idle_timeout = absl::Seconds(10)) {
  auto m = std::make_unique<Mef>();
  mef::PgEnroleeStoreOptions po;
  po.pool = pool;
  po.pool.max_size = pool_size;
  po.pool.connect_timeout = absl::Seconds(2);
  po.pool.acquire_timeout = absl::Seconds(3);
  auto store = mef::PgEnroleeStore::Create(po);
  if (!store.ok()) std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
  if (!store.ok()) return nullptr;
  m->store = *std::move(store);
  m->resolver = std::make_shared<mef::KpmResolver>(m->store.get(), envelope);
  mef::EnrolmentConfig ec;
  ec.mef_fqdn = kFqdn;
  ec.default_lifetime = absl::Hours(24);
  m->factory = std::make_unique<mef::EnrolmentSessionFactory>(ec, m->store.get(), envelope, nullptr);
  server::PskServerOptions so;
  so.tls_listen = {"127.0.0.1:0"};
  so.dtls_listen = {"127.0.0.1:0"};
  for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
    tls::ServerOptions o;
    o.transport = t;
    o.required_server_name = kFqdn;
    o.handshake_timeout = handshake_timeout;
    auto ctx = tls::PskContext::NewServer(o, m->resolver);
    if (!ctx.ok()) std::fprintf(stderr, "ctx: %s\n", ctx.status().ToString().c_str());
    if (!ctx.ok()) return nullptr;
    (t == tls::Transport::kTls ? so.tls_context : so.dtls_context) = *ctx;
  }
  so.io_threads = io_threads;
  so.idle_timeout = idle_timeout;
  so.max_sessions_per_source = 0;
  auto server = server::PskServer::Start(so, m->factory.get(), nullptr);
  if (!server.ok()) std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
  if (!server.ok()) return nullptr;
  m->server = *std::move(server);
  m->tls_port = m->server->tls_addresses().at(0).port();
  m->dtls_port = m->server->dtls_addresses().at(0).port();
  return m;
}

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_IN_PROCESS_MEF_H_
