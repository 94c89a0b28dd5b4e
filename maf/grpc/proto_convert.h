// File: maf/grpc/proto_convert.h
//
// Conversions between MafStore records (credentials, clients, keys) and the onem2m.rsp.v1 admin
// messages (metadata only: no
// key material ever reaches these messages), and between absl::Time and protobuf Timestamps.
//
//   v1::MafClient out;
//   ClientToProto(client, now, &out);
#ifndef ONEM2M_MAF_GRPC_PROTO_CONVERT_H_
#define ONEM2M_MAF_GRPC_PROTO_CONVERT_H_

#include <optional>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "maf/store/maf_store.h"
#include "proto/onem2m/rsp/v1/maf_admin.pb.h"

namespace onem2m {
namespace maf {

// SetTimestamp writes `t` (finite) into `out`; infinite times are left unset.
void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);

// ClientToProto / KeyToProto fill the admin messages; the state is the effective state at `now`.
// A de-registered client has no proto state (the v1 enum lacks one): it is reported UNSPECIFIED.
void ClientToProto(const MafClient& c, absl::Time now, rsp::v1::MafClient* out);
void KeyToProto(const MafKey& k, absl::Time now, rsp::v1::MafKey* out);
// CredentialToProto fills the admin view of a credential: identifiers and metadata, never Km
// (`c` comes from an admin read, which carries no sealed Km either).
void CredentialToProto(const MafCredential& c, absl::Time now, rsp::v1::MafCredential* out);

// ClientStateFilter / KeyStateFilter map a proto filter to the store's (UNSPECIFIED = none).
// The second returns false for a value outside the enum.
bool ClientStateFilter(rsp::v1::MafClientState s, std::optional<EffectiveState>* out);
bool KeyStateFilter(rsp::v1::MafKeyState s, std::optional<EffectiveState>* out);
bool CredentialStateFilter(rsp::v1::MafCredentialState s, std::optional<EffectiveState>* out);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_GRPC_PROTO_CONVERT_H_
