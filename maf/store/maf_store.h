// File: maf/store/maf_store.h
//
// MafStore is the MAF's durable state (docs/protocol.md section 7, TS-0003 8.8):
//   - MafCredential: one Km learned from a MEF, named by its KmID and the KeID it was fetched for.
//   - MafClient: one MAF Client Registration (8.8.2.3) of the Enrolee holding that Km.
//   - MafKey: one symmetric key registered by a client for 1..n Targets (8.8.2.7).
// The PSK resolver (handshakes), the MAF procedures (inside the secured session), the Target-facing
// MafKeyService and the operator-facing MafAdminService all use this interface. Implementations:
// PgMafStore (pg_maf_store.h, production) and MemoryMafStore (memory_maf_store.h, tests and quick
// local runs).
//
// The store never sees key material in clear: Km and distributed keys arrive sealed (envelope
// encryption, AAD = KmID / Key Identifier, docs/protocol.md section 8) and are stored as opaque
// blobs. No error message produced by a store contains a blob.
//
//   std::unique_ptr<MafStore> store = ...;
//   MafCredential c;
//   c.km_id = km_id; c.ke_id = ke_id; c.km = sealed_km; c.enrolee_id = "C-dev1";
//   c.mef_fqdn = "mef.example.com"; c.expires_at = ke_expiry;
//   absl::StatusOr<MafCredential> stored = store->PutCredential(c);   // idempotent
//   absl::StatusOr<MafClient> client =
//       store->RegisterClient(km_id, absl::InfiniteFuture());  // idempotent per km_id
//
// Expiry and revocation on reads (nothing outlives Ke, docs/protocol.md 5):
//   - Credential reads: expired -> kNotFound; revoked -> kFailedPrecondition (so a KeID whose Km
//   was
//     revoked at this MAF is refused even though the MEF would still hand it out).
//   - "Active" reads (GetActiveClientByKmId, GetActiveKey): anything not active or expired ->
//     kNotFound, all with the same message.
//   - Admin reads (GetClient*, GetKey, FindCredential, List*) return every record with its state;
//     "expired" is a derived state (EffectiveClientState / EffectiveKeyState /
//     EffectiveCredentialState). Admin credential reads never carry the sealed Km.
// Times are kept with microsecond precision.
//
// Thread safety: every implementation is safe for concurrent use from any number of threads, and
// PgMafStore from any number of MAF replicas sharing one database.
//
// Error codes, common to all implementations:
//   kInvalidArgument    a field fails validation, bad or mismatched page token.
//   kNotFound           no such record (or not active, for the "active" reads).
//   kAlreadyExists      key_id already registered; ke_id stored with a different km_id.
//   kFailedPrecondition the operation needs state that is not there (credential revoked or
//                       expired, client not active).
//   kPermissionDenied   the key exists but belongs to another client (update / de-register).
//   kUnavailable        the database cannot be reached; retry later.
//   kInternal           anything else; the message carries no key material.
#ifndef ONEM2M_MAF_STORE_MAF_STORE_H_
#define ONEM2M_MAF_STORE_MAF_STORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "common/time/clock.h"
#include "maf/store/maf_records.h"

namespace onem2m {
namespace maf {

// Stores read "now" from a Clock (common/time/clock.h), so tests control expiry with FakeClock.

// MafStore: see the file comment. Records and their validation are in maf_records.h.
class MafStore {
 public:
  virtual ~MafStore() = default;

  // PutCredential stores `credential` (store-set fields ignored) and returns the row as stored.
  // Idempotent: if km_id is already stored (another replica raced us, or the Enrolee reconnected
  // with its KeID) the stored row is returned unchanged, including a revoked flag that must win.
  // kAlreadyExists if ke_id is stored under another km_id; kInvalidArgument on validation failure.
  virtual absl::StatusOr<MafCredential> PutCredential(const MafCredential& credential) = 0;

  // WriteDecoyCredential does a write of the same shape and cost as PutCredential storing a new
  // `decoy` (one durable, committed write of a row that size) but stores nothing any read sees
  // (PostgreSQL: a row in a twin table that is swept, PgMafStoreOptions::decoy_retention): the KeID
  // path of a PSK identity the MEF does not know calls it where a known KeID stores its credential,
  // so the refusal takes the same time (docs/protocol.md 7, "Identity privacy"). Only the size of
  // `decoy`'s fields matters. Errors as PutCredential.
  virtual absl::Status WriteDecoyCredential(const MafCredential& decoy) = 0;

  // GetCredentialByKmId / GetCredentialByKeId: kNotFound if absent or expired, kFailedPrecondition
  // if revoked.
  virtual absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& km_id) = 0;
  virtual absl::StatusOr<MafCredential> GetCredentialByKeId(const crypto::KeyId& ke_id) = 0;

  // RecordHandshake notes a successful MAF handshake with `km_id` over `transport` at the store's
  // "now", for the admin view. To keep a reconnect storm from becoming a write storm it writes at
  // most once per kHandshakeRecordInterval per Km (calls in between are OK no-ops), and like
  // RecordHandshakes skips a row another writer holds at that moment. kNotFound if no such
  // credential.
  virtual absl::Status RecordHandshake(const crypto::KeyId& km_id, Transport transport) = 0;
  // RecordHandshakes writes many such notes at once, each at its own `at` and under the same
  // once-per-interval rule (a note within kHandshakeRecordInterval of the stored one is dropped).
  // Notes of unknown (or since deleted) credentials are skipped, and so are rows another writer
  // holds locked at that moment (a revocation, another replica's notes): the admin view is
  // advisory and a note must never wait for, or deadlock with, a write that matters. At most one
  // note per km_id. Errors only for the store itself (kUnavailable): the caller may retry.
  virtual absl::Status RecordHandshakes(const std::vector<HandshakeRecord>& records) = 0;

  // RevokeByKeId / RevokeByEnroleeId mark the matching credentials revoked (sealed Km wiped), and
  // revoke their clients and keys, in one transaction. They return the km_ids newly or already
  // revoked (empty if nothing matched), so caches can drop them. Idempotent.
  virtual absl::StatusOr<std::vector<crypto::KeyId>> RevokeByKeId(const crypto::KeyId& ke_id,
                                                                  const Revocation& why) = 0;
  virtual absl::StatusOr<std::vector<crypto::KeyId>> RevokeByEnroleeId(absl::string_view enrolee_id,
                                                                       const Revocation& why) = 0;

  // FindCredential (admin) returns the credential whose KmID or KeID (by `key`) is `id`, in any
  // state (revoked, expired), with its revocation. The sealed Km is never part of an admin read:
  // km.ciphertext is empty, km.kek_version is the version that seals (or sealed) the Km. kNotFound
  // if absent.
  virtual absl::StatusOr<MafCredential> FindCredential(CredentialKey key,
                                                       const crypto::KeyId& id) = 0;

  // ListCredentials (admin): one page, rows as FindCredential returns them; kInvalidArgument for a
  // bad or mismatched token.
  virtual absl::StatusOr<ListCredentialsResponse> ListCredentials(
      const ListCredentialsRequest& request) = 0;

  // RevokeCredential (admin) revokes the credential `km_id` as RevokeByKeId does (sealed Km wiped,
  // its clients and their keys revoked, KmID and KeID refused afterwards), in one transaction, and
  // returns it as FindCredential does. Idempotent: a revoked credential keeps its first
  // revocation. kNotFound if absent.
  virtual absl::StatusOr<MafCredential> RevokeCredential(const crypto::KeyId& km_id,
                                                         const Revocation& why) = 0;

  // RegisterClient registers the holder of `km_id` (8.8.2.3) until `requested_expiry`, capped at
  // the credential's expiry (pass absl::InfiniteFuture() for "as long as Km lives"). Idempotent: an
  // active registration of that km_id is returned as is. kFailedPrecondition if the credential is
  // absent, expired or revoked; kInvalidArgument if `requested_expiry` is not in the future.
  virtual absl::StatusOr<MafClient> RegisterClient(const crypto::KeyId& km_id,
                                                   absl::Time requested_expiry) = 0;
  // RegisterClientAsync is RegisterClient answering through `done`, exactly once, on this thread
  // or on one of the store's own. The default calls RegisterClient here.
  using RegisterDone = std::function<void(absl::StatusOr<MafClient>)>;
  virtual void RegisterClientAsync(const crypto::KeyId& km_id, absl::Time requested_expiry,
                                   RegisterDone done) {
    done(RegisterClient(km_id, requested_expiry));
  }
  // RegistersWithoutWaiting: RegisterClientAsync never makes its caller wait for the database (it
  // queues the row, or the store is in memory), so an I/O thread may call it. `done` may then run
  // on the store's writer thread: it must not wait on the store itself.
  virtual bool RegistersWithoutWaiting() const { return false; }

  // UpdateClient applies `update` to the active, unexpired registration `maf_client_reg_id` of
  // `km_id` (8.8.2.5) and returns it. A new expires_at is capped at the credential's expiry; when
  // it shortens the registration, the client's active keys are capped to it too (nothing outlives
  // its client). kNotFound if there is no such active registration; kPermissionDenied if it is
  // another Km's; kInvalidArgument for an expiry not in the future or invalid labels.
  virtual absl::StatusOr<MafClient> UpdateClient(absl::string_view maf_client_reg_id,
                                                 const crypto::KeyId& km_id,
                                                 const ClientUpdate& update) = 0;

  // GetActiveClientByKmId returns the active, unexpired registration of km_id, else kNotFound.
  virtual absl::StatusOr<MafClient> GetActiveClientByKmId(const crypto::KeyId& km_id) = 0;

  // GetClient / GetLatestClientByKmId (admin): any state; kNotFound if absent.
  virtual absl::StatusOr<MafClient> GetClient(absl::string_view maf_client_reg_id) = 0;
  virtual absl::StatusOr<MafClient> GetLatestClientByKmId(const crypto::KeyId& km_id) = 0;

  // DeregisterClient ends an active registration (8.8.2.6) and de-registers its active keys.
  // kNotFound if there is no active registration with that id.
  virtual absl::Status DeregisterClient(absl::string_view maf_client_reg_id) = 0;

  // RevokeClient (admin) revokes a client, its keys and its credential (Km wiped, KmID and KeID
  // refused afterwards), and returns the client as stored. Idempotent. kNotFound if absent.
  virtual absl::StatusOr<MafClient> RevokeClient(absl::string_view maf_client_reg_id,
                                                 const Revocation& why) = 0;

  // RegisterKey stores a new key (8.8.2.7); store-set fields are ignored, km_id and client_id are
  // taken from the client. kFailedPrecondition if the client is not active (or expired);
  // kAlreadyExists if key_id is taken; kInvalidArgument on validation failure (including an
  // expires_at after the client's).
  virtual absl::StatusOr<MafKey> RegisterKey(const MafKey& key) = 0;

  // GetActiveKey returns an active, unexpired key, else kNotFound (same message for every cause).
  virtual absl::StatusOr<MafKey> GetActiveKey(absl::string_view key_id) = 0;

  // GetKey (admin): any state; kNotFound if absent.
  virtual absl::StatusOr<MafKey> GetKey(absl::string_view key_id) = 0;

  // UpdateKey applies `update` to an active key registered by `maf_client_reg_id` (8.8.2.9) and
  // returns it. kNotFound if the key is not active; kPermissionDenied if another client registered
  // it; kInvalidArgument on validation failure.
  virtual absl::StatusOr<MafKey> UpdateKey(absl::string_view key_id,
                                           absl::string_view maf_client_reg_id,
                                           const KeyUpdate& update) = 0;

  // DeregisterKey de-registers an active key of `maf_client_reg_id` (8.8.2.10). Errors as
  // UpdateKey.
  virtual absl::Status DeregisterKey(absl::string_view key_id,
                                     absl::string_view maf_client_reg_id) = 0;

  // RevokeKey (admin) revokes a key and returns it. Idempotent on a revoked key; a de-registered or
  // expired key is revoked too (it stays unusable). kNotFound if absent.
  virtual absl::StatusOr<MafKey> RevokeKey(absl::string_view key_id, const Revocation& why) = 0;

  // ListClients / ListKeys (admin): one page; kInvalidArgument for a bad or mismatched token.
  virtual absl::StatusOr<ListClientsResponse> ListClients(const ListClientsRequest& request) = 0;
  virtual absl::StatusOr<ListKeysResponse> ListKeys(const ListKeysRequest& request) = 0;

  // CountKekVersions returns, for each sealed column, the number of rows per KEK version (only
  // versions with rows), ordered by column then version. Rows without a sealed value (a revoked
  // credential's wiped Km) are not counted: there is nothing to re-seal.
  virtual absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() = 0;

  // RewrapBatch re-seals up to `limit` (1..10000, clamped) rows whose kek_version differs from
  // `target_version` (maf_credentials.km first, then maf_keys.key) through `reseal`. Each row is
  // updated only if its sealed blob is still the one read (optimistic check), so concurrent writers
  // (a key update, a revocation wiping Km) are never overwritten; nothing else in the row changes.
  // Idempotent: run it until `left` is 0. An error from `reseal` is returned (rows already updated
  // stay updated).
  virtual absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                                   const Resealer& reseal) = 0;

  // CheckHealth returns OK when the store can serve requests; kUnavailable otherwise.
  virtual absl::Status CheckHealth() = 0;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_MAF_STORE_H_
