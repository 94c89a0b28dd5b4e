// File: maf/store/memory_maf_store.h
//
// MemoryMafStore is a MafStore kept in process memory, for tests and quick local runs. It follows
// the same contract as PgMafStore (the shared behavioural suite in maf_store_test_suite.h runs
// against both) but loses everything on exit and is not shared between replicas.
//
//   std::unique_ptr<MafStore> store = MemoryMafStore::Create(clock);   // clock: tests control time
#ifndef ONEM2M_MAF_STORE_MEMORY_MAF_STORE_H_
#define ONEM2M_MAF_STORE_MEMORY_MAF_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "maf/store/maf_store.h"

namespace onem2m {
namespace maf {

class MemoryMafStore final : public MafStore {
 public:
  // Create returns an empty store reading time from `clock` (not owned; must outlive the store).
  static std::unique_ptr<MemoryMafStore> Create(const Clock* clock = Clock::Real());

  // MafStore:
  absl::StatusOr<MafCredential> PutCredential(const MafCredential& credential) override;
  absl::Status WriteDecoyCredential(const MafCredential& decoy) override;
  absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& km_id) override;
  absl::StatusOr<MafCredential> GetCredentialByKeId(const crypto::KeyId& ke_id) override;
  absl::Status RecordHandshake(const crypto::KeyId& km_id, Transport transport) override;
  absl::Status RecordHandshakes(const std::vector<HandshakeRecord>& records) override;
  absl::StatusOr<std::vector<crypto::KeyId>> RevokeByKeId(const crypto::KeyId& ke_id,
                                                          const Revocation& why) override;
  absl::StatusOr<std::vector<crypto::KeyId>> RevokeByEnroleeId(absl::string_view enrolee_id,
                                                               const Revocation& why) override;
  absl::StatusOr<MafCredential> FindCredential(CredentialKey key, const crypto::KeyId& id) override;
  absl::StatusOr<ListCredentialsResponse> ListCredentials(
      const ListCredentialsRequest& request) override;
  absl::StatusOr<MafCredential> RevokeCredential(const crypto::KeyId& km_id,
                                                 const Revocation& why) override;
  absl::StatusOr<MafClient> RegisterClient(const crypto::KeyId& km_id,
                                           absl::Time requested_expiry) override;
  // In memory: RegisterClientAsync (MafStore's default) answers at once, on the caller's thread.
  bool RegistersWithoutWaiting() const override { return true; }
  absl::StatusOr<MafClient> GetActiveClientByKmId(const crypto::KeyId& km_id) override;
  absl::StatusOr<MafClient> GetClient(absl::string_view maf_client_reg_id) override;
  absl::StatusOr<MafClient> GetLatestClientByKmId(const crypto::KeyId& km_id) override;
  absl::StatusOr<MafClient> UpdateClient(absl::string_view maf_client_reg_id,
                                         const crypto::KeyId& km_id,
                                         const ClientUpdate& update) override;
  absl::Status DeregisterClient(absl::string_view maf_client_reg_id) override;
  absl::StatusOr<MafClient> RevokeClient(absl::string_view maf_client_reg_id,
                                         const Revocation& why) override;
  absl::StatusOr<MafKey> RegisterKey(const MafKey& key) override;
  absl::StatusOr<MafKey> GetActiveKey(absl::string_view key_id) override;
  absl::StatusOr<MafKey> GetKey(absl::string_view key_id) override;
  absl::StatusOr<MafKey> UpdateKey(absl::string_view key_id, absl::string_view maf_client_reg_id,
                                   const KeyUpdate& update) override;
  absl::Status DeregisterKey(absl::string_view key_id,
                             absl::string_view maf_client_reg_id) override;
  absl::StatusOr<MafKey> RevokeKey(absl::string_view key_id, const Revocation& why) override;
  absl::StatusOr<ListClientsResponse> ListClients(const ListClientsRequest& request) override;
  absl::StatusOr<ListKeysResponse> ListKeys(const ListKeysRequest& request) override;
  absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() override;
  absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                           const Resealer& reseal) override;
  absl::Status CheckHealth() override { return absl::OkStatus(); }

 private:
  explicit MemoryMafStore(const Clock* clock) : clock_(clock) {}

  absl::Time Now() const;
  // RevokeCredentialsLocked revokes the stored credentials `km_ids` and returns them.
  std::vector<crypto::KeyId> RevokeCredentialsLocked(const std::vector<crypto::KeyId>& km_ids,
                                                     const Revocation& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RevokeClientLocked(MafClient& client, const Revocation& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillHandshakeLocked(MafClient& client) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // NoteHandshakeLocked applies one handshake note at `at` under the once-per-interval rule.
  static void NoteHandshakeLocked(MafCredential& c, Transport transport, absl::Time at);
  int ActiveKeyCountLocked(const std::string& reg_id) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<MafKey*> OwnedActiveKeyLocked(absl::string_view key_id, absl::string_view reg_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  mutable absl::Mutex mu_;
  // By the KmID's canonical text: the order the PostgreSQL store lists them in.
  std::map<std::string, MafCredential, std::less<>> credentials_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<crypto::KeyId, crypto::KeyId> km_by_ke_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, MafClient, std::less<>> clients_ ABSL_GUARDED_BY(mu_);  // by reg id
  std::map<std::string, MafKey, std::less<>> keys_ ABSL_GUARDED_BY(mu_);        // by key_id
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_MEMORY_MAF_STORE_H_
