// File: maf/store/maf_records.h
//
// The records of the MAF's store (maf_store.h) and their validation: credentials (Km learned from
// a MEF), MAF Client Registrations, registered keys, list requests and KEK rotation figures
// (docs/protocol.md sections 7-8, TS-0003 8.8). KeIDs and KmIDs are crypto::KeyId: parsed where
// they entered the MAF; the stores keep their canonical text.
#ifndef ONEM2M_MAF_STORE_MAF_RECORDS_H_
#define ONEM2M_MAF_STORE_MAF_RECORDS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace maf {

// SealedKey is a key as the store keeps it: envelope ciphertext (opaque, never logged) and the
// version of the KEK that sealed it, so a KEK rotation can find old rows.
struct SealedKey {
  std::string ciphertext;
  int32_t kek_version = 0;
};

// Transport is the secured transport of a MAF handshake (for the admin view).
enum class Transport { kUnspecified, kTls, kDtls };
absl::string_view TransportName(Transport t);      // "", "tls", "dtls"
Transport ParseTransport(absl::string_view name);  // kUnspecified for anything else

// HandshakeRecord is one successful MAF handshake with a Km, as MafStore::RecordHandshakes writes
// it for the admin view: which Km, over which transport, when.
struct HandshakeRecord {
  crypto::KeyId km_id;
  Transport transport = Transport::kUnspecified;
  absl::Time at = absl::InfinitePast();
};

// Revocation records who ended a record and why (admin revocations and MEF revocation events).
struct Revocation {
  std::string actor;   // mTLS identity of the operator, or "mef:<fqdn>" for a MEF event
  std::string reason;  // free text, logged; never a secret
  absl::Time time = absl::InfinitePast();
};

// MafCredential is a Km learned from a MEF (docs/protocol.md 6-7).
struct MafCredential {
  crypto::KeyId km_id;     // KmID (MAF_RELATIVE_KmID '@' MAF-FQDN). Primary key.
  crypto::KeyId ke_id;     // KeID. Unique.
  SealedKey km;            // Km sealed with AAD = km_id. Emptied (wiped) when revoked.
  std::string enrolee_id;  // Enrolee-ID (= MAF Client ID)
  std::string mef_fqdn;    // the MEF it came from (the FQDN of ke_id)
  absl::Time expires_at = absl::InfinitePast();  // the Ke's expiry; must be finite
  bool revoked = false;                          // set by the store's Revoke* calls
  absl::Time created_at = absl::InfinitePast();  // set by the store
  // Last successful MAF handshake with this Km (RecordHandshake); set by the store.
  Transport last_transport = Transport::kUnspecified;
  absl::Time last_handshake_at = absl::InfinitePast();
  // Who revoked it, why and when (the first revocation wins); set by the store when revoked. The
  // handshake reads may leave it unset: only the admin reads (FindCredential, ListCredentials,
  // RevokeCredential) must fill it.
  std::optional<Revocation> revocation;
};

// ClientState and KeyState are the stored states; "expired" is derived from expires_at.
enum class ClientState { kActive, kDeregistered, kRevoked };
enum class KeyState { kActive, kDeregistered, kRevoked };
// EffectiveState adds the derived "expired" to the stored states.
enum class EffectiveState { kActive, kExpired, kDeregistered, kRevoked };

absl::string_view ClientStateName(ClientState s);  // "active", "deregistered", "revoked"
bool ParseClientState(absl::string_view name, ClientState* out_state);
absl::string_view KeyStateName(KeyState s);
bool ParseKeyState(absl::string_view name, KeyState* out_state);

// MafClient is a MAF Client Registration (8.8.2.3).
struct MafClient {
  std::string maf_client_reg_id;                 // random, assigned by the store. Primary key.
  crypto::KeyId km_id;                           // assignedSymmKeyID
  crypto::KeyId ke_id;                           // the KeID of the Km (admin view)
  std::string enrolee_id;                        // MAF Client ID
  absl::Time expires_at = absl::InfinitePast();  // = the Km's expiry
  absl::Time created_at = absl::InfinitePast();
  ClientState state = ClientState::kActive;
  std::optional<Revocation> revocation;  // when state is kRevoked
  std::vector<std::string> labels;       // m2m:labels of the registration (8.8.2.3, 8.8.2.5)
  int active_key_count = 0;              // filled by admin reads only
  // The Km's last successful MAF handshake (see RecordHandshake); filled by admin reads only.
  Transport last_transport = Transport::kUnspecified;
  absl::Time last_handshake_at = absl::InfinitePast();
};

// MafKey is a registered symmetric key (8.8.2.7).
struct MafKey {
  std::string key_id;       // Key Identifier, canonical. Primary key.
  std::string relative_id;  // upper-case hex of RelativeKeyID (the part before '@')
  SealedKey key;            // sealed with AAD = key_id
  uint32_t suid = 0;
  std::vector<std::string> target_ids;           // 1..n, each 1..256 printable ASCII, no duplicates
  std::string maf_client_reg_id;                 // registering client
  crypto::KeyId km_id;                           // registering client's KmID
  std::string client_id;                         // registering client's Enrolee-ID
  absl::Time expires_at = absl::InfinitePast();  // <= the client's expiry; finite
  absl::Time created_at = absl::InfinitePast();  // set by the store
  absl::Time updated_at = absl::InfinitePast();  // set by the store
  KeyState state = KeyState::kActive;
  std::optional<Revocation> revocation;
  std::vector<std::string> labels;  // m2m:labels of the key registration (8.8.2.7, 8.8.2.9)
};

// EffectiveClientState / EffectiveKeyState: the stored state, or kExpired for an active record
// whose expires_at is at or before `now`.
EffectiveState EffectiveClientState(const MafClient& c, absl::Time now);
EffectiveState EffectiveKeyState(const MafKey& k, absl::Time now);
// EffectiveCredentialState: kRevoked if revoked, else kExpired at or after expires_at, else
// kActive (a credential is never de-registered).
EffectiveState EffectiveCredentialState(const MafCredential& c, absl::Time now);

// KeyUpdate lists the fields Key Registration Update (8.8.2.9) may change; unset fields stay.
struct KeyUpdate {
  std::optional<std::vector<std::string>> target_ids;
  std::optional<uint32_t> suid;
  std::optional<absl::Time> expires_at;  // caller caps it at the client's expiry
  std::optional<SealedKey> key;          // a new supplied key value (same key_id)
  std::optional<std::vector<std::string>> labels;
};

// ClientUpdate lists the fields MAF Client Registration Update (8.8.2.5) may change; unset
// fields stay.
struct ClientUpdate {
  std::optional<absl::Time> expires_at;  // must be in the future; capped at the Km's expiry
  std::optional<std::vector<std::string>> labels;
};

// List requests use keyset pagination: ordered by primary key, stable under concurrent writes.
struct ListClientsRequest {
  int page_size = 100;     // <= 0: 100; > 1000: 1000
  std::string page_token;  // empty for the first page; else next_page_token of the same filter
  std::optional<EffectiveState> state;  // kDeregistered matches nothing stored differently
  std::string client_id;                // Enrolee-ID filter; empty = all
};
struct ListClientsResponse {
  std::vector<MafClient> clients;
  std::string next_page_token;  // empty on the last page
};
struct ListKeysRequest {
  int page_size = 100;
  std::string page_token;
  std::string maf_client_reg_id;  // filter; empty = all
  std::string target_id;          // filter; empty = all
  std::optional<EffectiveState> state;
};
struct ListKeysResponse {
  std::vector<MafKey> keys;
  std::string next_page_token;
};
// ListCredentialsRequest: credentials ordered by km_id (admin; docs/protocol.md section 7).
struct ListCredentialsRequest {
  int page_size = 100;
  std::string page_token;
  std::optional<EffectiveState> state;  // kDeregistered matches nothing
  std::string enrolee_id;               // filter; empty = all
  std::string mef_fqdn;                 // filter; empty = all
};
struct ListCredentialsResponse {
  std::vector<MafCredential> credentials;  // without the sealed Km (see FindCredential)
  std::string next_page_token;
};

// CredentialKey names the identifier FindCredential looks a credential up by.
enum class CredentialKey { kKmId, kKeId };

// SealedColumn names a column holding a SealedKey, for KEK rotation (docs/operations.md "Rotate
// the key-encryption key (KEK)").
enum class SealedColumn { kCredentialKm, kKeyValue };
// SealedColumnName returns "maf_credentials.km" / "maf_keys.key".
absl::string_view SealedColumnName(SealedColumn column);

// KekVersionCount is how many rows of `column` are sealed under `kek_version`.
struct KekVersionCount {
  SealedColumn column = SealedColumn::kCredentialKm;
  int32_t kek_version = 0;
  int64_t rows = 0;
};

// Resealer re-seals one row's key under the active KEK: it gets the column, the row's id (km_id for
// maf_credentials.km, key_id for maf_keys.key: the associated data the blob is bound to) and the
// current sealed key, and returns the new sealed key. An error stops the batch.
using Resealer = std::function<absl::StatusOr<SealedKey>(SealedColumn column, absl::string_view id,
                                                         const SealedKey& old)>;

// RewrapResult reports one RewrapBatch call.
struct RewrapResult {
  int64_t rewrapped = 0;  // rows now sealed under the target version by this call
  // rows skipped because a concurrent writer changed them between the read and the update
  // (optimistic check); counted in `left` if still under an old version.
  int64_t raced = 0;
  int64_t left = 0;  // rows (both columns) still not under the target version after this call
};

// ValidateCredential checks the caller-set fields (km_id and ke_id set, non-empty sealed Km,
// valid Enrolee-ID, mef_fqdn equal to the FQDN of ke_id, finite expires_at).
absl::Status ValidateCredential(const MafCredential& credential);

// ValidateTargetIds checks 1..kMaxTargetIds ids, each 1..256 characters 0x21..0x7E, no duplicates.
inline constexpr size_t kMaxTargetIds = 64;
absl::Status ValidateTargetIds(const std::vector<std::string>& target_ids);

// ValidateLabels checks 0..kMaxLabels labels (TS-0004 m2m:labels), each 1..256 bytes without
// control characters.
inline constexpr size_t kMaxLabels = 32;
absl::Status ValidateLabels(const std::vector<std::string>& labels);

// ValidateNewKey checks the caller-set fields of a key for RegisterKey (canonical key_id whose hex
// part equals relative_id, non-empty sealed key, target ids, finite expires_at, client reg id set).
absl::Status ValidateNewKey(const MafKey& key);

// NewClientRegId returns a fresh random mafClientRegID ("MC" + 32 upper-case hex characters).
std::string NewClientRegId();

// kHandshakeRecordInterval: see MafStore::RecordHandshake.
inline constexpr absl::Duration kHandshakeRecordInterval = absl::Minutes(1);

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_MAF_RECORDS_H_
