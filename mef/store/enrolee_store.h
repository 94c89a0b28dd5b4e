// File: mef/store/enrolee_store.h
//
// EnroleeStore is the MEF's durable state: one Enrolee per pre-provisioned KpmID (docs/protocol.md
// section 1) and one Enrolment per successful bootstrap (sections 3-4), plus a change feed that the
// MEF's WatchRevocations stream follows (section 6). The MEF server (PSK lookup on every
// handshake), the admin gRPC service and the credential fetch all use this interface;
// implementations are PgEnroleeStore (pg_enrolee_store.h, production) and MemoryEnroleeStore
// (memory_enrolee_store.h, quick local runs and tests).
//
// The store never sees key material in clear: Kpm and Ke arrive already sealed (envelope encryption
// under a versioned KEK, docs/protocol.md section 8) and are stored and returned as opaque blobs.
// No error message produced by a store contains a blob or a database password.
//
//   std::unique_ptr<EnroleeStore> store = ...;
//   Enrolee e;
//   e.kpm_id = "device-0001";
//   e.kpm = SealedKey{sealed_blob, /*kek_version=*/3};
//   e.enrolee_id = "C-device-0001";
//   e.maf_id = "maf.example.com";
//   e.enrolment_lifetime = absl::Hours(24);
//   absl::StatusOr<Enrolee> created = store->CreateEnrolee(e);   // kAlreadyExists if taken
//
//   // Handshake path (PSK lookup): every handshake.
//   absl::StatusOr<Enrolee> got = store->GetEnrolee(kpm_id);
//
//   // Enrolment exchange: durable before the MEF answers the Enrolee.
//   absl::Status s = store->RecordEnrolment(enrolment);
//
// Thread safety: every implementation is safe for concurrent use from any number of threads.
//
// Error codes, common to all implementations:
//   kInvalidArgument    a field fails validation (ValidateEnrolee / ValidateEnrolment), bad page
//   token. kNotFound           no such kpm_id / ke_id. kAlreadyExists      kpm_id or ke_id already
//   present. kFailedPrecondition state change not allowed (revoked is terminal). kUnavailable the
//   database cannot be reached or the connection broke; retry later. For a
//                       write the outcome may be unknown only if the message says so.
//   kInternal           anything else; the message carries no key material.
#ifndef ONEM2M_MEF_STORE_ENROLEE_STORE_H_
#define ONEM2M_MEF_STORE_ENROLEE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace mef {

// EnroleeState is an Enrolee's administrative state (docs/protocol.md section 1). Only kActive
// enrolees may bootstrap or have their credential fetched. kRevoked is terminal.
enum class EnroleeState { kActive, kDisabled, kRevoked };

// EnroleeStateName returns "active", "disabled" or "revoked" (the spelling stored in the database).
absl::string_view EnroleeStateName(EnroleeState state);
// ParseEnroleeState is the inverse of EnroleeStateName; false for anything else.
bool ParseEnroleeState(absl::string_view name, EnroleeState* out_state);

// Transport is the secured session a bootstrap ran over (docs/protocol.md section 2).
enum class Transport { kTls, kDtls };
absl::string_view TransportName(Transport transport);  // "tls" / "dtls"
bool ParseTransport(absl::string_view name, Transport* out_transport);

// SealedKey is a key as the store keeps it: the ciphertext produced by envelope encryption (the
// store never interprets it) and the version of the KEK that sealed it, so a KEK rotation can find
// and re-seal old rows.
struct SealedKey {
  std::string ciphertext;  // opaque; never logged
  int32_t kek_version = 0;
};

// FetchGrant allows one Enrolment Target to fetch, with one SUID, the usage-constrained key of
// TS-0003 10.3.7 for this enrolee's enrolments (the "validate if the particular Enrolment Target is
// allowed to fetch credentials for the Enrolee with the particular Security Usage Identifier" step
// of 8.3.2.1; docs/protocol.md 5 and 6). The MAF's own SUID 21 fetch of Km needs no grant.
struct FetchGrant {
  // target_id is the Enrolment-Target-ID: the FQDN the target's client certificate names.
  // 1..255 bytes, no NUL, no whitespace or control characters.
  std::string target_id;
  // suid is the Security Usage Identifier; 1..4294967295.
  uint32_t suid = 0;

  friend bool operator==(const FetchGrant& a, const FetchGrant& b) {
    return a.suid == b.suid && a.target_id == b.target_id;
  }
};

// Enrolee is one pre-provisioned device identity.
struct Enrolee {
  // kpm_id is the TLS-PSK identity: UTF-8, 1..128 bytes, no NUL, unique. Primary key.
  std::string kpm_id;
  // kpm is Kpm, sealed. Write-only through every external API; the MEF unseals it for the
  // handshake.
  SealedKey kpm;
  std::string enrolee_id;  // CSE-ID or AE-ID; non-empty
  std::string maf_id;      // the MAF's FQDN; non-empty
  std::optional<std::string> maf_uri;
  // enrolment_lifetime is how long a Ke lives after bootstrap (TS-0003 10.7). When absent the MEF
  // applies its configured default. Must be positive when present.
  std::optional<absl::Duration> enrolment_lifetime;
  // not_after is an absolute end for the enrolee itself; a Ke never outlives it.
  std::optional<absl::Time> not_after;
  EnroleeState state = EnroleeState::kActive;
  // fetch_grants is the enrolee's allow-list of {Enrolment-Target-ID, SUID} (FetchGrant), stored
  // with the enrolee by CreateEnrolee and BulkCreate. The reads of Enrolee (GetEnrolee, the PSK
  // lookup, and ListEnrolees) leave it empty; GetFetchGrants and EnrolmentView carry it.
  std::vector<FetchGrant> fetch_grants;

  // Set by the store; ignored on create.
  absl::Time created_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();
  // revision is the change-feed sequence number of the last change to this enrolee (create, state
  // change, Kpm rotation). It only grows, and is comparable with StateChange::seq.
  int64_t revision = 0;
};

// Enrolment is one successful bootstrap (docs/protocol.md sections 3-4).
struct Enrolment {
  // ke_id is the KeID (hex(RelativeKeID) "@" MEF-FQDN), parsed where it entered the MEF; unique,
  // primary key. The store keeps its canonical text (at most 255 bytes).
  crypto::KeyId ke_id;
  std::string kpm_id;  // the enrolee that bootstrapped; must exist
  SealedKey ke;        // Ke, sealed
  std::string enrolee_id;
  std::string maf_id;
  absl::Time expires_at = absl::InfinitePast();  // must be finite
  Transport transport = Transport::kTls;
  std::string peer_address;  // e.g. "192.0.2.1:5684"; may be empty
  // created_at: set by the store when left at InfinitePast().
  absl::Time created_at = absl::InfinitePast();
  bool revoked = false;  // set by RevokeEnrolment or by revoking the enrolee
};

// EnrolmentView is what the credential fetch needs: the enrolment plus its enrolee's *current*
// state, read in one query. The caller must check all of: !enrolment.revoked, enrolee_state ==
// kActive, expires_at and enrolee_not_after in the future, and maf_id against the caller's
// identity. The current state matters because an enrolment recorded concurrently with a revocation
// may miss the revoked flag; the enrolee's state never does.
struct EnrolmentView {
  Enrolment enrolment;
  EnroleeState enrolee_state = EnroleeState::kActive;
  std::optional<absl::Time> enrolee_not_after;
  // The enrolee's current allow-list (FetchGrant), in no particular order.
  std::vector<FetchGrant> fetch_grants;
};

// Page tokens of the store's lists are common/paging tokens, made and checked with these names
// (every store implementation uses the same ones, so their tokens read alike).
inline constexpr absl::string_view kEnroleePages = "store/enrolees";
inline constexpr absl::string_view kEnrolmentPages = "store/enrolments";

// ListEnroleesRequest selects a page of enrolees ordered by kpm_id (keyset pagination: stable under
// concurrent inserts and deletes, cost independent of the page's position).
struct ListEnroleesRequest {
  int page_size = 100;                // 1..1000; values outside are clamped
  std::string page_token;             // empty for the first page, else a previous next_page_token
  std::optional<EnroleeState> state;  // only enrolees in this state
};
struct ListEnroleesResponse {
  std::vector<Enrolee> enrolees;
  std::string next_page_token;  // empty when there are no more pages
};

// ListEnrolmentsRequest selects a page of enrolments ordered by ke_id.
struct ListEnrolmentsRequest {
  int page_size = 100;  // 1..1000; clamped
  std::string page_token;
  std::optional<std::string> kpm_id;  // only this enrolee's enrolments
};
struct ListEnrolmentsResponse {
  std::vector<Enrolment> enrolments;
  std::string next_page_token;
};

// StateChange is one entry of the change feed. Entries become visible strictly in seq order (a
// reader that has seen seq N will never later find a new entry below N), so a watcher can poll
// ListStateChangesSince(last_seen_seq) without missing anything. seq values may have gaps.
struct StateChange {
  enum class Kind {
    kEnroleeState,      // the enrolee's state changed to `state`
    kEnroleeDeleted,    // the enrolee and all its enrolments were deleted
    kEnrolmentRevoked,  // enrolment `ke_id` was revoked (alone, or because its enrolee was revoked
                        // or deleted)
  };
  int64_t seq = 0;
  Kind kind = Kind::kEnroleeState;
  std::string kpm_id;
  crypto::KeyId ke_id;                         // only for kEnrolmentRevoked (else empty)
  EnroleeState state = EnroleeState::kActive;  // only for kEnroleeState
  absl::Time changed_at = absl::InfinitePast();
};

// SealedColumn names a column holding a SealedKey, for KEK rotation (docs/operations.md "Rotate
// the key-encryption key (KEK)").
enum class SealedColumn { kEnroleeKpm, kEnrolmentKe };
// SealedColumnName returns "enrolees.kpm" / "enrolments.ke".
absl::string_view SealedColumnName(SealedColumn column);

// KekVersionCount is how many rows of `column` are sealed under `kek_version`.
struct KekVersionCount {
  SealedColumn column = SealedColumn::kEnroleeKpm;
  int32_t kek_version = 0;
  int64_t rows = 0;
};

// Resealer re-seals one row's key under the active KEK: it gets the column, the row's id (kpm_id
// for enrolees.kpm, ke_id for enrolments.ke: the associated data the blob is bound to) and the
// current sealed key, and returns the new sealed key. An error stops the batch.
using Resealer = std::function<absl::StatusOr<SealedKey>(SealedColumn column, absl::string_view id,
                                                         const SealedKey& old)>;

// RewrapResult reports one RewrapBatch call.
struct RewrapResult {
  int64_t rewrapped = 0;  // rows now sealed under the target version by this call
  // rows skipped because a concurrent writer changed them between the read and the update
  // (optimistic check); they are counted in `left` if still under an old version.
  int64_t raced = 0;
  int64_t left = 0;  // rows (both columns) still not under the target version after this call
};

// EnroleeStore: see the file comment.
class EnroleeStore {
 public:
  virtual ~EnroleeStore() = default;

  // CreateEnrolee inserts `enrolee` (store-set fields ignored) and returns it as stored, with
  // created_at, updated_at and revision filled in. kAlreadyExists if kpm_id is taken;
  // kInvalidArgument if ValidateEnrolee fails.
  virtual absl::StatusOr<Enrolee> CreateEnrolee(const Enrolee& enrolee) = 0;

  // BulkCreate inserts many enrolees in one transaction and returns one status per input row, in
  // input order: OK, kAlreadyExists (kpm_id already stored or repeated earlier in `enrolees`) or
  // kInvalidArgument (row failed validation; the others are still inserted). A non-OK return means
  // nothing was inserted. Meant for bulk import (100,000 rows in one call is fine).
  virtual absl::StatusOr<std::vector<absl::Status>> BulkCreate(
      const std::vector<Enrolee>& enrolees) = 0;

  // GetEnrolee returns the enrolee with `kpm_id`, or kNotFound. This is the PSK lookup on every
  // handshake and is the store's fastest read.
  virtual absl::StatusOr<Enrolee> GetEnrolee(absl::string_view kpm_id) = 0;

  // GetEnroleeAsync is GetEnrolee through a callback, for callers that must not block (the
  // handshake's asynchronous PSK lookup). `done` runs exactly once, on any thread, possibly before
  // this returns. The default answers synchronously.
  virtual void GetEnroleeAsync(absl::string_view kpm_id,
                               std::function<void(absl::StatusOr<Enrolee>)> done) {
    done(GetEnrolee(kpm_id));
  }

  // ListEnrolees returns one page; see ListEnroleesRequest. kInvalidArgument for a bad page token.
  virtual absl::StatusOr<ListEnroleesResponse> ListEnrolees(const ListEnroleesRequest& request) = 0;

  // SetState moves the enrolee to `state` and returns it as stored. Setting the current state is an
  // OK no-op (no change-feed entry). Leaving kRevoked is kFailedPrecondition. Revoking also marks
  // every enrolment of the enrolee revoked; each change gets a change-feed entry.
  virtual absl::StatusOr<Enrolee> SetState(absl::string_view kpm_id, EnroleeState state) = 0;

  // DeleteEnrolee removes the enrolee and all its enrolments (kNotFound if absent), leaving
  // kEnrolmentRevoked entries for each enrolment and one kEnroleeDeleted entry in the change feed.
  virtual absl::Status DeleteEnrolee(absl::string_view kpm_id) = 0;

  // RotateKpm replaces the sealed Kpm (a new Kpm, or the same Kpm re-sealed under a new KEK) and
  // returns the enrolee as stored. Existing enrolments are unaffected. kNotFound if absent;
  // kFailedPrecondition if revoked; kInvalidArgument if the ciphertext is empty.
  virtual absl::StatusOr<Enrolee> RotateKpm(absl::string_view kpm_id, const SealedKey& kpm) = 0;

  // RecordEnrolment stores `enrolment` and returns only once it is durable (committed with
  // synchronous_commit on). kNotFound if the enrolee does not exist; kAlreadyExists if ke_id is
  // taken; kUnavailable if the database is unreachable (then the row may or may not be stored, and
  // the Enrolee must bootstrap again). Concurrent calls may share one transaction (group commit).
  virtual absl::Status RecordEnrolment(const Enrolment& enrolment) = 0;

  // RecordEnrolmentAsync is RecordEnrolment for event-loop callers: it returns at once and calls
  // `done` exactly once with the same status RecordEnrolment would have returned. `done` runs on a
  // store thread (PgEnroleeStore: its committer thread) or, if the store rejects the call
  // immediately (e.g. kInvalidArgument, queue full), on the caller's thread before this returns.
  // `done` must be quick and must not call back into the store synchronously.
  virtual void RecordEnrolmentAsync(Enrolment enrolment,
                                    std::function<void(absl::Status)> done) = 0;

  // GetEnrolmentByKeId returns the enrolment and its enrolee's current state (see EnrolmentView),
  // or kNotFound.
  virtual absl::StatusOr<EnrolmentView> GetEnrolmentByKeId(const crypto::KeyId& ke_id) = 0;

  // GetEnrolmentsByKeIds answers GetEnrolmentByKeId for a batch of KeIDs at once: out[i] answers
  // ke_ids[i] (a repeated key gets its answer at each place). PgEnroleeStore reads the whole batch
  // with one query, so a batch of credential fetches costs one database round trip; if that read
  // fails, every entry carries its status. The default asks one key at a time.
  virtual std::vector<absl::StatusOr<EnrolmentView>> GetEnrolmentsByKeIds(
      absl::Span<const crypto::KeyId> ke_ids) {
    std::vector<absl::StatusOr<EnrolmentView>> out;
    out.reserve(ke_ids.size());
    for (const crypto::KeyId& ke_id : ke_ids) out.push_back(GetEnrolmentByKeId(ke_id));
    return out;
  }

  // ListEnrolments returns one page; see ListEnrolmentsRequest.
  virtual absl::StatusOr<ListEnrolmentsResponse> ListEnrolments(
      const ListEnrolmentsRequest& request) = 0;

  // RevokeEnrolment marks one enrolment revoked (idempotent: revoking a revoked enrolment is OK
  // and adds no change-feed entry). kNotFound if absent.
  virtual absl::Status RevokeEnrolment(const crypto::KeyId& ke_id) = 0;

  // ListStateChangesSince returns up to `limit` (1..10000, clamped) change-feed entries with
  // seq > `after_seq`, in seq order. Start a watch from LatestChangeSeq() or from 0 (everything).
  virtual absl::StatusOr<std::vector<StateChange>> ListStateChangesSince(int64_t after_seq,
                                                                         int limit) = 0;

  // LatestChangeSeq returns the highest seq handed out so far (0 when none), so a new watcher can
  // start "from now".
  virtual absl::StatusOr<int64_t> LatestChangeSeq() = 0;

  // SetFetchGrants replaces the enrolee's allow-list (FetchGrant) with `grants` (duplicates are
  // stored once). kNotFound if the enrolee is absent; kInvalidArgument if a grant fails
  // ValidateFetchGrant. Takes effect for the next credential fetch; adds no change-feed entry (the
  // feed tells MAFs to drop Km, which grants do not govern). The default is kUnimplemented.
  virtual absl::Status SetFetchGrants(absl::string_view kpm_id,
                                      const std::vector<FetchGrant>& grants) {
    (void)kpm_id;
    (void)grants;
    return absl::UnimplementedError("this store keeps no fetch grants");
  }

  // GetFetchGrants returns the enrolee's allow-list sorted by (target_id, suid), or kNotFound.
  // The default is kUnimplemented.
  virtual absl::StatusOr<std::vector<FetchGrant>> GetFetchGrants(absl::string_view kpm_id) {
    (void)kpm_id;
    return absl::UnimplementedError("this store keeps no fetch grants");
  }

  // CountKekVersions returns, for each sealed column, the number of rows per KEK version (only
  // versions with rows), ordered by column then version. The default is kUnimplemented.
  virtual absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() {
    return absl::UnimplementedError("this store cannot count KEK versions");
  }

  // RewrapBatch re-seals up to `limit` (1..10000, clamped) rows whose kek_version differs from
  // `target_version` (enrolees.kpm first, then enrolments.ke) through `reseal`. Each row is updated
  // only if its sealed blob is still the one read (optimistic check), so concurrent writers (a
  // RotateKpm, a new enrolment) are never overwritten; a rewrap changes no revision and adds no
  // change-feed entry (the key itself is unchanged). Idempotent: run it until `left` is 0. An
  // error from `reseal` is returned (rows already updated stay updated). Default: kUnimplemented.
  virtual absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                                   const Resealer& reseal) {
    (void)target_version;
    (void)limit;
    (void)reseal;
    return absl::UnimplementedError("this store cannot re-seal rows");
  }

  // CheckHealth returns OK when the store can serve requests (for health checks); kUnavailable
  // otherwise.
  virtual absl::Status CheckHealth() = 0;
};

// ValidateEnrolee checks the caller-set fields of `enrolee` (kpm_id 1..128 bytes of valid UTF-8
// without NUL, non-empty sealed Kpm, enrolee_id and maf_id non-empty and free of NUL, positive
// lifetime, at most kMaxFetchGrants valid fetch grants). Every implementation applies it; callers
// may use it to validate early.
absl::Status ValidateEnrolee(const Enrolee& enrolee);

// kMaxFetchGrants bounds an enrolee's allow-list.
inline constexpr size_t kMaxFetchGrants = 64;

// SortedUnique returns `grants` sorted by (target_id, suid) without duplicates.
std::vector<FetchGrant> SortedUnique(std::vector<FetchGrant> grants);

// ValidateFetchGrant checks one FetchGrant (see its field comments). ValidateEnrolee applies it to
// every grant of an enrolee.
absl::Status ValidateFetchGrant(const FetchGrant& grant);

// ValidateEnrolment checks the caller-set fields of `enrolment` (ke_id set and at most 255 bytes of
// canonical text, kpm_id as for
// enrolees, non-empty sealed Ke, enrolee_id and maf_id non-empty, finite expires_at, no NUL).
absl::Status ValidateEnrolment(const Enrolment& enrolment);

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_STORE_ENROLEE_STORE_H_
