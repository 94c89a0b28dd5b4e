// MemoryMafStore's credentials (Km learned from MEFs: put, decoy write, reads, handshake record,
// revocation); clients are in memory_maf_clients.cc, keys in memory_maf_keys.cc, the admin view of
// credentials in memory_maf_credentials.cc.
#include "maf/store/memory_maf_store.h"

#include <algorithm>

#include "common/secret_bytes.h"
#include "maf/store/memory_maf_internal.h"

namespace onem2m {
namespace maf {

using memory_internal::Micros;

std::unique_ptr<MemoryMafStore> MemoryMafStore::Create(const Clock* clock) {
  return std::unique_ptr<MemoryMafStore>(
      new MemoryMafStore(clock != nullptr ? clock : Clock::Real()));
}

absl::Time MemoryMafStore::Now() const { return clock_->Now(); }

absl::StatusOr<MafCredential> MemoryMafStore::PutCredential(const MafCredential& credential) {
  absl::Status s = ValidateCredential(credential);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  std::string km_text = credential.km_id.ToString();
  auto it = credentials_.find(km_text);
  if (it != credentials_.end()) return it->second;
  if (km_by_ke_.count(credential.ke_id) > 0) {
    return absl::AlreadyExistsError("ke_id is stored under another km_id");
  }
  MafCredential c = credential;
  c.revoked = false;
  c.expires_at = Micros(c.expires_at);
  c.created_at = Micros(Now());
  km_by_ke_[c.ke_id] = c.km_id;
  credentials_[km_text] = c;
  return c;
}

absl::Status MemoryMafStore::WriteDecoyCredential(const MafCredential& decoy) {
  // The same steps as PutCredential storing a new row, on a copy that is then dropped.
  absl::Status s = ValidateCredential(decoy);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  MafCredential c = decoy;
  c.revoked = credentials_.count(c.km_id.ToString()) > 0 || km_by_ke_.count(c.ke_id) > 0;
  c.expires_at = Micros(c.expires_at);
  c.created_at = Micros(Now());
  return absl::OkStatus();
}

absl::StatusOr<MafCredential> MemoryMafStore::GetCredentialByKmId(const crypto::KeyId& km_id) {
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(km_id.ToString());
  if (it == credentials_.end() || it->second.expires_at <= Now()) {
    return absl::NotFoundError("no such credential");
  }
  if (it->second.revoked) return absl::FailedPreconditionError("credential revoked");
  return it->second;
}

absl::StatusOr<MafCredential> MemoryMafStore::GetCredentialByKeId(const crypto::KeyId& ke_id) {
  crypto::KeyId km_id;
  {
    absl::MutexLock lock(&mu_);
    auto it = km_by_ke_.find(ke_id);
    if (it == km_by_ke_.end()) return absl::NotFoundError("no such credential");
    km_id = it->second;
  }
  return GetCredentialByKmId(km_id);
}

absl::Status MemoryMafStore::RecordHandshake(const crypto::KeyId& km_id, Transport transport) {
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(km_id.ToString());
  if (it == credentials_.end()) return absl::NotFoundError("no such credential");
  NoteHandshakeLocked(it->second, transport, Micros(Now()));
  return absl::OkStatus();
}

absl::Status MemoryMafStore::RecordHandshakes(const std::vector<HandshakeRecord>& records) {
  absl::MutexLock lock(&mu_);
  for (const HandshakeRecord& r : records) {
    auto it = credentials_.find(r.km_id.ToString());
    if (it != credentials_.end()) NoteHandshakeLocked(it->second, r.transport, Micros(r.at));
  }
  return absl::OkStatus();
}

void MemoryMafStore::NoteHandshakeLocked(MafCredential& c, Transport transport, absl::Time at) {
  if (c.last_handshake_at != absl::InfinitePast() &&
      at - c.last_handshake_at < kHandshakeRecordInterval) {
    return;
  }
  c.last_handshake_at = at;
  c.last_transport = transport;
}

void MemoryMafStore::FillHandshakeLocked(MafClient& client) const {
  auto it = credentials_.find(client.km_id.ToString());
  if (it == credentials_.end()) return;
  client.last_transport = it->second.last_transport;
  client.last_handshake_at = it->second.last_handshake_at;
}

void MemoryMafStore::RevokeClientLocked(MafClient& client, const Revocation& why) {
  if (client.state != ClientState::kRevoked) {
    client.state = ClientState::kRevoked;
    Revocation r = why;
    r.time = Micros(Now());
    client.revocation = r;
  }
  for (auto& [id, key] : keys_) {
    if (key.maf_client_reg_id == client.maf_client_reg_id && key.state != KeyState::kRevoked) {
      key.state = KeyState::kRevoked;
      Revocation r = why;
      r.time = Micros(Now());
      key.revocation = r;
      key.updated_at = r.time;
    }
  }
}

std::vector<crypto::KeyId> MemoryMafStore::RevokeCredentialsLocked(
    const std::vector<crypto::KeyId>& km_ids, const Revocation& why) {
  for (const crypto::KeyId& km_id : km_ids) {
    auto it = credentials_.find(km_id.ToString());
    if (it == credentials_.end()) continue;
    MafCredential& c = it->second;
    if (!c.revoked) {  // the first revocation is the one recorded
      Revocation r = why;
      r.time = Micros(Now());
      c.revocation = r;
    }
    c.revoked = true;
    // The sealed Km is wiped, not just flagged: a revoked Enrolee must bootstrap again.
    WipeString(&c.km.ciphertext);
    for (auto& [id, client] : clients_) {
      if (client.km_id == km_id) RevokeClientLocked(client, why);
    }
  }
  return km_ids;
}

absl::StatusOr<std::vector<crypto::KeyId>> MemoryMafStore::RevokeByKeId(const crypto::KeyId& ke_id,
                                                                        const Revocation& why) {
  absl::MutexLock lock(&mu_);
  auto it = km_by_ke_.find(ke_id);
  if (it == km_by_ke_.end()) return std::vector<crypto::KeyId>();
  return RevokeCredentialsLocked({it->second}, why);
}

absl::StatusOr<std::vector<crypto::KeyId>> MemoryMafStore::RevokeByEnroleeId(
    absl::string_view enrolee_id, const Revocation& why) {
  absl::MutexLock lock(&mu_);
  std::vector<crypto::KeyId> km_ids;
  for (const auto& [km_text, c] : credentials_) {
    if (c.enrolee_id == enrolee_id) km_ids.push_back(c.km_id);
  }
  return RevokeCredentialsLocked(km_ids, why);
}

}  // namespace maf
}  // namespace onem2m
