#include "tests/bench/maf_oracle_check_servers.h"

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/grpc/server_threads.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "maf/mef_client/mef_credential_client.h"

namespace onem2m {
namespace oracle {

void OracleServers::Stop() {
  if (maf_server) maf_server->Shutdown(absl::Seconds(1));
  resolver->WaitIdle(absl::Now() + absl::Seconds(10));
  service->Shutdown();
  mef_server->Shutdown();
  service->Stop();
}

bool StartServers(const ServerSetup& setup, OracleServers* out) {
  mef::PgEnroleeStoreOptions mo;
  mo.pool = PoolFor(setup.conninfo, setup.mef_schema, "maf_oracle_check_mef");
  auto mef_store = mef::PgEnroleeStore::Create(mo);
  if (!mef_store.ok()) {
    std::fprintf(stderr, "MEF store: %s\n", mef_store.status().ToString().c_str());
    return false;
  }
  out->mef_store = *std::move(mef_store);
  absl::Status s = PopulateMef(out->mef_store.get(), *setup.devices, *setup.mef_envelope);
  if (!s.ok()) {
    std::fprintf(stderr, "populate MEF: %s\n", s.ToString().c_str());
    return false;
  }
  out->opener = std::make_unique<mef::EnvelopeKeOpener>(setup.mef_envelope);
  auto service = mef::MefCredentialServiceImpl::Create(out->mef_store.get(), out->opener.get(), {});
  if (!service.ok()) return false;
  out->service = *std::move(service);
  grpc::ServerBuilder b;
  grpcutil::KeepServerThreads(&b);
  int mef_port = 0;
  b.AddListeningPort("127.0.0.1:0", setup.mtls->ServerCredentials(), &mef_port);
  out->service->Register(&b);
  out->mef_server = b.BuildAndStart();
  if (out->mef_server == nullptr) return false;
  out->service->Start();

  maf::PgMafStoreOptions po;
  po.pool = PoolFor(setup.conninfo, setup.maf_schema, "maf_oracle_check_maf");
  auto maf_store = maf::PgMafStore::Create(std::move(po));
  if (!maf_store.ok()) {
    std::fprintf(stderr, "MAF store: %s\n", maf_store.status().ToString().c_str());
    return false;
  }
  out->maf_store = *std::move(maf_store);
  if (setup.kmid) {
    s = PopulateMaf(out->maf_store.get(), *setup.devices, *setup.maf_envelope);
    if (!s.ok()) {
      std::fprintf(stderr, "populate MAF: %s\n", s.ToString().c_str());
      return false;
    }
  }
  // As services/maf/maf_server.cc configures it (its defaults).
  maf::KmResolverOptions ko;
  ko.maf_fqdn = kMafFqdn;
  ko.store = out->maf_store.get();
  ko.envelope = setup.maf_envelope;
  out->fetcher =
      std::make_shared<maf::MefCredentialClient>(setup.mtls->Channel(mef_port, kMafFqdn), kMafFqdn);
  ko.fetchers[kMefFqdn] = out->fetcher;
  auto resolver = maf::KmResolver::Create(std::move(ko));
  if (!resolver.ok()) return false;
  out->resolver = *std::move(resolver);
  if (setup.tls_layer) {
    maf::HandshakeServerOptions ho;
    ho.maf_fqdn = kMafFqdn;
    ho.tls_listen = {"127.0.0.1:0"};
    ho.handshake_timeout = absl::Seconds(10);
    ho.max_sessions_per_source = 0;
    auto hs = maf::HandshakeServer::Start(ho, out->maf_store.get(), setup.maf_envelope,
                                          out->resolver, {}, nullptr);
    if (!hs.ok()) {
      std::fprintf(stderr, "MAF server: %s\n", hs.status().ToString().c_str());
      return false;
    }
    out->maf_server = *std::move(hs);
    out->maf_port = out->maf_server->tls_addresses().at(0).port();
  }
  return true;
}

double LookupMicros(maf::KmResolver& resolver, const std::string& identity, bool known) {
  absl::Notification done;
  bool as_expected = false;
  const absl::Time start = absl::Now();
  absl::Time end;
  resolver.ResolveAsync(identity, start + absl::Seconds(5),
                        [&](absl::StatusOr<maf::ResolvedKm> km) {
                          end = absl::Now();
                          as_expected = known ? km.ok() : absl::IsNotFound(km.status());
                          done.Notify();
                        });
  done.WaitForNotification();
  if (!as_expected) {
    std::fprintf(stderr, "maf_oracle_check: %s: unexpected lookup answer\n", identity.c_str());
    return -1;
  }
  return absl::ToDoubleMicroseconds(end - start);
}

double FetchMicros(maf::MefFetcher& fetcher, const std::string& identity, bool known) {
  absl::StatusOr<crypto::KeyId> ke_id = crypto::KeyId::Parse(identity);
  if (!ke_id.ok()) return -1;
  const absl::Time start = absl::Now();
  absl::StatusOr<maf::FetchedCredential> got = fetcher.Fetch(*ke_id, start + absl::Seconds(5));
  const absl::Duration took = absl::Now() - start;
  if (known ? !got.ok() : !absl::IsNotFound(got.status())) {
    std::fprintf(stderr, "maf_oracle_check: %s: unexpected fetch answer\n", identity.c_str());
    return -1;
  }
  return absl::ToDoubleMicroseconds(took);
}

double RefusalMicros(int port, const std::string& identity, const SecretBytes& wrong_key) {
  tls::ClientOptions co;
  co.transport = tls::Transport::kTls;
  co.psk_identity = identity;
  co.psk = SecretBytes::Copy(wrong_key.Reveal());
  co.server_name = kMafFqdn;
  auto ctx = tls::PskContext::NewClient(co);
  if (!ctx.ok()) return -1;
  const absl::Time start = absl::Now();
  auto c = tls::BlockingClient::Connect(*ctx, "127.0.0.1", port, start + absl::Seconds(5));
  const absl::Duration took = absl::Now() - start;
  if (c.ok() || !absl::IsUnauthenticated(c.status())) {
    std::fprintf(stderr, "maf_oracle_check: %s: expected a refusal, got %s\n", identity.c_str(),
                 c.ok() ? "a completed handshake" : c.status().ToString().c_str());
    return -1;
  }
  return absl::ToDoubleMicroseconds(took);
}

}  // namespace oracle
}  // namespace onem2m
