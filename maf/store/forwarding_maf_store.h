// File: maf/store/forwarding_maf_store.h
//
// ForwardingMafStore passes every call to another MafStore. Tests derive from it to change one
// behaviour (a slow read, an injected failure) or to own extra state alongside a store.
//
//   class SlowReads : public ForwardingMafStore {
//     using ForwardingMafStore::ForwardingMafStore;
//     absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& id) override {
//       absl::SleepFor(absl::Seconds(2));
//       return ForwardingMafStore::GetCredentialByKmId(id);
//     }
//   };
#ifndef ONEM2M_MAF_STORE_FORWARDING_MAF_STORE_H_
#define ONEM2M_MAF_STORE_FORWARDING_MAF_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "maf/store/maf_store.h"

namespace onem2m {
namespace maf {

class ForwardingMafStore : public MafStore {
 public:
  explicit ForwardingMafStore(std::unique_ptr<MafStore> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<MafCredential> PutCredential(const MafCredential& c) override {
    return inner_->PutCredential(c);
  }
  absl::Status WriteDecoyCredential(const MafCredential& decoy) override {
    return inner_->WriteDecoyCredential(decoy);
  }
  absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& id) override {
    return inner_->GetCredentialByKmId(id);
  }
  absl::StatusOr<MafCredential> GetCredentialByKeId(const crypto::KeyId& id) override {
    return inner_->GetCredentialByKeId(id);
  }
  absl::Status RecordHandshake(const crypto::KeyId& id, Transport t) override {
    return inner_->RecordHandshake(id, t);
  }
  absl::Status RecordHandshakes(const std::vector<HandshakeRecord>& records) override {
    return inner_->RecordHandshakes(records);
  }
  absl::StatusOr<std::vector<crypto::KeyId>> RevokeByKeId(const crypto::KeyId& id,
                                                          const Revocation& w) override {
    return inner_->RevokeByKeId(id, w);
  }
  absl::StatusOr<std::vector<crypto::KeyId>> RevokeByEnroleeId(absl::string_view id,
                                                               const Revocation& w) override {
    return inner_->RevokeByEnroleeId(id, w);
  }
  absl::StatusOr<MafCredential> FindCredential(CredentialKey key,
                                               const crypto::KeyId& id) override {
    return inner_->FindCredential(key, id);
  }
  absl::StatusOr<ListCredentialsResponse> ListCredentials(
      const ListCredentialsRequest& r) override {
    return inner_->ListCredentials(r);
  }
  absl::StatusOr<MafCredential> RevokeCredential(const crypto::KeyId& km_id,
                                                 const Revocation& w) override {
    return inner_->RevokeCredential(km_id, w);
  }
  absl::StatusOr<MafClient> RegisterClient(const crypto::KeyId& id, absl::Time t) override {
    return inner_->RegisterClient(id, t);
  }
  // RegisterClientAsync and RegistersWithoutWaiting are not forwarded: MafStore's defaults call
  // this store's RegisterClient, so a test that overrides it sees every registration.
  absl::StatusOr<MafClient> GetActiveClientByKmId(const crypto::KeyId& id) override {
    return inner_->GetActiveClientByKmId(id);
  }
  absl::StatusOr<MafClient> GetClient(absl::string_view id) override {
    return inner_->GetClient(id);
  }
  absl::StatusOr<MafClient> GetLatestClientByKmId(const crypto::KeyId& id) override {
    return inner_->GetLatestClientByKmId(id);
  }
  absl::Status DeregisterClient(absl::string_view id) override {
    return inner_->DeregisterClient(id);
  }
  absl::StatusOr<MafClient> RevokeClient(absl::string_view id, const Revocation& w) override {
    return inner_->RevokeClient(id, w);
  }
  absl::StatusOr<MafKey> RegisterKey(const MafKey& k) override { return inner_->RegisterKey(k); }
  absl::StatusOr<MafKey> GetActiveKey(absl::string_view id) override {
    return inner_->GetActiveKey(id);
  }
  absl::StatusOr<MafKey> GetKey(absl::string_view id) override { return inner_->GetKey(id); }
  absl::StatusOr<MafClient> UpdateClient(absl::string_view reg, const crypto::KeyId& km,
                                         const ClientUpdate& u) override {
    return inner_->UpdateClient(reg, km, u);
  }
  absl::StatusOr<MafKey> UpdateKey(absl::string_view id, absl::string_view reg,
                                   const KeyUpdate& u) override {
    return inner_->UpdateKey(id, reg, u);
  }
  absl::Status DeregisterKey(absl::string_view id, absl::string_view reg) override {
    return inner_->DeregisterKey(id, reg);
  }
  absl::StatusOr<MafKey> RevokeKey(absl::string_view id, const Revocation& w) override {
    return inner_->RevokeKey(id, w);
  }
  absl::StatusOr<ListClientsResponse> ListClients(const ListClientsRequest& r) override {
    return inner_->ListClients(r);
  }
  absl::StatusOr<ListKeysResponse> ListKeys(const ListKeysRequest& r) override {
    return inner_->ListKeys(r);
  }
  absl::StatusOr<std::vector<KekVersionCount>> CountKekVersions() override {
    return inner_->CountKekVersions();
  }
  absl::StatusOr<RewrapResult> RewrapBatch(int32_t target_version, int limit,
                                           const Resealer& reseal) override {
    return inner_->RewrapBatch(target_version, limit, reseal);
  }
  absl::Status CheckHealth() override { return inner_->CheckHealth(); }

 protected:
  MafStore& inner() { return *inner_; }

 private:
  std::unique_ptr<MafStore> inner_;
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_FORWARDING_MAF_STORE_H_
