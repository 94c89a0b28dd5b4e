// File: tests/e2e/in_process_maf.h
//
// StartLoopbackMaf starts the MAF's handshake listeners (maf::HandshakeServer: TLS and DTLS on
// 127.0.0.1, ephemeral ports, procedures on request workers) as services/maf/maf_server.cc runs
// them, with test deadlines and no per-source cap (every test device comes from 127.0.0.1).
#ifndef ONEM2M_TESTS_E2E_IN_PROCESS_MAF_H_
#define ONEM2M_TESTS_E2E_IN_PROCESS_MAF_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/server/handshake_server.h"
#include "maf/store/maf_store.h"

namespace onem2m::e2e {

inline absl::StatusOr<std::unique_ptr<maf::HandshakeServer>> StartLoopbackMaf(
    const std::string& maf_fqdn, maf::MafStore* store, const crypto::Envelope* envelope,
    std::shared_ptr<maf::KmResolver> resolver, const std::string& admin_fqdn = "",
    const tls::Tls13Options& tls13 = {}) {
  maf::HandshakeServerOptions o;
  o.maf_fqdn = maf_fqdn;
  o.admin_fqdn = admin_fqdn;  // empty: maf_fqdn, as maf_server's --admin_fqdn default
  o.tls_listen = {"127.0.0.1:0"};
  o.dtls_listen = {"127.0.0.1:0"};
  o.handshake_timeout = absl::Seconds(5);
  o.fetch_timeout = absl::Seconds(2);
  o.max_sessions_per_source = 0;
  o.tls13 = tls13;
  return maf::HandshakeServer::Start(o, store, envelope, std::move(resolver), {}, nullptr);
}

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_IN_PROCESS_MAF_H_
