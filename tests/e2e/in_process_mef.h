// In-process MEF for end-to-end tests and the load generator: PgEnroleeStore + the same
// mef::BootstrapServer the mef_server binary runs (TLS and DTLS on 127.0.0.1:0, SNI required).
// No metrics observer. Its group commit lingers as mef_server's does by default (busy at
// services::kLingerBusySessions open sessions). StartMefOver serves over any other store (the
// load generator's ceiling case runs it over MemoryEnroleeStore: no database at all).
#ifndef ONEM2M_TESTS_E2E_IN_PROCESS_MEF_H_
#define ONEM2M_TESTS_E2E_IN_PROCESS_MEF_H_

#include <cstdio>
#include <memory>

#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/pg/pool.h"
#include "mef/bootstrap/bootstrap_server.h"
#include "mef/store/enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"
#include "services/common/open_sessions.h"

namespace onem2m::e2e {

inline constexpr char kFqdn[] = "mef.local";

// Mef is one in-process MEF over its store (PostgreSQL unless made by StartMefOver).
struct Mef {
  std::shared_ptr<services::OpenSessions> sessions = std::make_shared<services::OpenSessions>();
  std::unique_ptr<mef::EnroleeStore> store;
  std::unique_ptr<mef::BootstrapServer> server;
  int tls_port = 0;
  int dtls_port = 0;

  ~Mef() {
    if (server) server->Shutdown(absl::Seconds(2));
    sessions->Attach(nullptr);
    server.reset();
    store.reset();
  }
};

// Serve starts the bootstrap server of `m` over the store it already holds.
inline std::unique_ptr<Mef> Serve(std::unique_ptr<Mef> m, const crypto::Envelope* envelope,
                                  absl::Duration handshake_timeout, int io_threads,
                                  absl::Duration idle_timeout, const tls::Tls13Options& tls13,
                                  int max_sessions) {
  mef::BootstrapServerOptions o;
  o.mef_fqdn = kFqdn;
  o.tls_listen = {"127.0.0.1:0"};
  o.dtls_listen = {"127.0.0.1:0"};
  o.handshake_timeout = handshake_timeout;
  o.io_threads = io_threads;
  o.idle_timeout = idle_timeout;
  o.max_sessions_per_source = 0;
  o.tls13 = tls13;
  o.max_sessions = max_sessions;
  auto server = mef::BootstrapServer::Start(o, m->store.get(), envelope, nullptr, nullptr);
  if (!server.ok()) std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
  if (!server.ok()) return nullptr;
  m->server = *std::move(server);
  m->sessions->Attach([s = m->server.get()] { return s->open_sessions(); });
  m->tls_port = m->server->tls_addresses().at(0).port();
  m->dtls_port = m->server->dtls_addresses().at(0).port();
  return m;
}

inline std::unique_ptr<Mef> StartMef(const pg::PoolOptions& pool, const crypto::Envelope* envelope,
                                     absl::Duration handshake_timeout = absl::Seconds(3),
                                     int io_threads = 2, int pool_size = 4,
                                     absl::Duration idle_timeout = absl::Seconds(10),
                                     const tls::Tls13Options& tls13 = {},
                                     int max_sessions = 10000) {
  auto m = std::make_unique<Mef>();
  mef::PgEnroleeStoreOptions po;
  po.pool = pool;
  po.pool.max_size = pool_size;
  po.pool.connect_timeout = absl::Seconds(2);
  po.pool.acquire_timeout = absl::Seconds(3);
  po.writes.linger.busy = services::LingerBusyAt(m->sessions, services::kLingerBusySessions);
  auto store = mef::PgEnroleeStore::Create(po);
  if (!store.ok()) std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
  if (!store.ok()) return nullptr;
  m->store = *std::move(store);
  return Serve(std::move(m), envelope, handshake_timeout, io_threads, idle_timeout, tls13,
               max_sessions);
}

// StartMefOver: the same MEF over `store` (which the MEF then owns).
inline std::unique_ptr<Mef> StartMefOver(std::unique_ptr<mef::EnroleeStore> store,
                                         const crypto::Envelope* envelope,
                                         absl::Duration handshake_timeout, int io_threads,
                                         absl::Duration idle_timeout, int max_sessions) {
  auto m = std::make_unique<Mef>();
  m->store = std::move(store);
  return Serve(std::move(m), envelope, handshake_timeout, io_threads, idle_timeout, {},
               max_sessions);
}

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_IN_PROCESS_MEF_H_
