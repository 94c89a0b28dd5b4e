// File: maf/procedures/maf_session.h
//
// MafSession is what the MAF procedures know about the secured session a request arrived on: who
// the peer is (established by the TLS-PSK handshake with psk = Km, docs/protocol.md 7) and how to
// export keying material from it (RFC 5705, for Key Registration without a supplied key). The MAF
// server fills it after the handshake from the KmResolver's answer:
//
//   MafSession session;
//   session.km_id = resolved.km_id;
//   session.enrolee_id = resolved.enrolee_id;
//   session.km_expires_at = resolved.expires_at;
//   session.export_keying_material = [ssl](absl::string_view label, size_t len)
//       -> absl::StatusOr<SecretBytes> {
//     SecretBytes out(len);   // no context: "no context" differs from an empty one in TLS 1.2
//     if (SSL_export_keying_material(ssl, out.mutable_data(), len, label.data(), label.size(),
//                                    nullptr, 0, 0) != 1) return absl::InternalError("export");
//     return out;
//   };
//
// ProcedureContext is the service side every procedure needs: store, envelope, clock, this MAF's
// FQDN and the administrating stakeholder it serves. Both are plain values; the pointers are not
// owned.
#ifndef ONEM2M_MAF_PROCEDURES_MAF_SESSION_H_
#define ONEM2M_MAF_PROCEDURES_MAF_SESSION_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/time/clock.h"
#include "maf/store/maf_store.h"

namespace onem2m {
namespace maf {

// ExportKeyingMaterial returns `len` bytes of the RFC 5705 exporter with `label` and no context.
using ExportKeyingMaterial =
    std::function<absl::StatusOr<SecretBytes>(absl::string_view label, size_t len)>;

struct MafSession {
  crypto::KeyId km_id;     // the session's KmID (psk_identity, or derived from the KeID's Km)
  std::string enrolee_id;  // the peer's Enrolee-ID (= MAF Client ID)
  absl::Time km_expires_at = absl::InfinitePast();  // nothing the session creates outlives it
  ExportKeyingMaterial export_keying_material;      // may be empty (then keyValue is required)
};

struct ProcedureContext {
  MafStore* store = nullptr;
  const crypto::Envelope* envelope = nullptr;
  const Clock* clock = Clock::Real();  // not owned; the real clock when null
  std::string maf_fqdn;  // this MAF's FQDN: the FQDN of every Key Identifier it issues
  // adminFQDN (TS-0003 8.8.3.2): the administrating stakeholder under whose authorisation this
  // MAF registers clients and keys; empty means the MAF's own operator, maf_fqdn.
  std::string admin_fqdn;

  absl::Time Now() const { return clock != nullptr ? clock->Now() : absl::Now(); }
  const std::string& AdminFqdn() const { return admin_fqdn.empty() ? maf_fqdn : admin_fqdn; }
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_PROCEDURES_MAF_SESSION_H_
