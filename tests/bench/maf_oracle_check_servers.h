// File: tests/bench/maf_oracle_check_servers.h
//
// maf_oracle_check's servers and probes. In one process, on the run's PostgreSQL schemas: the MEF's
// credential fetch (PgEnroleeStore + MefCredentialServiceImpl + EnvelopeKeOpener on gRPC with
// mutual TLS) holding the devices' enrolments, and the MAF as services/maf/maf_server.cc wires it
// (PgMafStore + KmResolver with a MefClientFetcher, + maf::HandshakeServer on loopback TLS for
// --layer=tls). The probes time one try on either layer.
#ifndef ONEM2M_TESTS_BENCH_MAF_ORACLE_CHECK_SERVERS_H_
#define ONEM2M_TESTS_BENCH_MAF_ORACLE_CHECK_SERVERS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/crypto/envelope.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/server/handshake_server.h"
#include "maf/store/pg_maf_store.h"
#include "mef/credential/credential_service.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/store/pg_enrolee_store.h"
#include "tests/bench/maf_oracle_check_setup.h"

namespace onem2m {
namespace oracle {

// What the servers are started on; nothing is owned and everything must outlive the servers.
struct ServerSetup {
  std::string conninfo;
  std::string mef_schema;
  std::string maf_schema;
  const std::vector<Device>* devices = nullptr;
  bool kmid = false;       // also store the devices' credentials at the MAF
  bool tls_layer = false;  // also start the MAF's TLS handshake server
  const crypto::Envelope* mef_envelope = nullptr;
  const crypto::Envelope* maf_envelope = nullptr;
  const ::onem2m::testing::MtlsEnv* mtls = nullptr;
};

// OracleServers holds the MEF and the MAF of one run, members in the order they are built (so
// destroyed in the reverse one).
struct OracleServers {
  std::unique_ptr<mef::PgEnroleeStore> mef_store;
  std::unique_ptr<mef::EnvelopeKeOpener> opener;
  std::unique_ptr<mef::MefCredentialServiceImpl> service;
  std::unique_ptr<grpc::Server> mef_server;
  std::unique_ptr<maf::PgMafStore> maf_store;
  std::shared_ptr<maf::KmResolver> resolver;
  std::shared_ptr<maf::MefFetcher> fetcher;  // the resolver's client of the MEF
  std::unique_ptr<maf::HandshakeServer> maf_server;  // --layer=tls only
  int maf_port = 0;

  // Stop ends them: the MAF's listener, the resolver's flights, then the MEF's service and server.
  void Stop();
};

// StartServers populates both stores and starts the servers into `out`; false when a part fails
// (the reason is printed to stderr).
bool StartServers(const ServerSetup& setup, OracleServers* out);

// LookupMicros times one asynchronous lookup (what a paused handshake waits for); negative when
// the answer is not what the path expects (known: Km; unknown: refused as about the identity).
double LookupMicros(maf::KmResolver& resolver, const std::string& identity, bool known);

// FetchMicros times one fetch of the KeID `identity` from the MEF as the MAF's client sees it
// (--layer=fetch): the MEF's part of a first contact alone. Negative when the answer is not what
// the path expects (known: Km; unknown: NOT_FOUND).
double FetchMicros(maf::MefFetcher& fetcher, const std::string& identity, bool known);

// RefusalMicros times one TLS handshake with a wrong key, connect to refusal.
double RefusalMicros(int port, const std::string& identity, const SecretBytes& wrong_key);

}  // namespace oracle
}  // namespace onem2m

#endif  // ONEM2M_TESTS_BENCH_MAF_ORACLE_CHECK_SERVERS_H_
