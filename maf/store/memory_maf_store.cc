#include "maf/store/memory_maf_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/kek/reseal_rows.h"
#include "common/paging/page_token.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace maf {
namespace {

// Micros keeps the memory store's times identical to what PostgreSQL's timestamptz returns.
absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::Status NoKey() { return absl::NotFoundError("no such key"); }

std::string StateTag(const std::optional<EffectiveState>& s) {
  return s.has_value() ? absl::StrCat(static_cast<int>(*s)) : "-";
}

}  // namespace

std::unique_ptr<MemoryMafStore> MemoryMafStore::Create(const Clock* clock) {
  return std::unique_ptr<MemoryMafStore>(
      new MemoryMafStore(clock != nullptr ? clock : Clock::Real()));
}

absl::Time MemoryMafStore::Now() const { return clock_->Now(); }

absl::StatusOr<MafCredential> MemoryMafStore::PutCredential(const MafCredential& credential) {
  absl::Status s = ValidateCredential(credential);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(credential.km_id);
  if (it != credentials_.end()) return it->second;
  if (km_by_ke_.count(credential.ke_id) > 0) {
    return absl::AlreadyExistsError("ke_id is stored under another km_id");
  }
  MafCredential c = credential;
  c.revoked = false;
  c.expires_at = Micros(c.expires_at);
  c.created_at = Micros(Now());
  km_by_ke_[c.ke_id] = c.km_id;
  credentials_[c.km_id] = c;
  return c;
}

absl::Status MemoryMafStore::WriteDecoyCredential(const MafCredential& decoy) {
  // The same steps as PutCredential storing a new row, on a copy that is then dropped.
  absl::Status s = ValidateCredential(decoy);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  MafCredential c = decoy;
  c.revoked = credentials_.count(c.km_id) > 0 || km_by_ke_.count(c.ke_id) > 0;
  c.expires_at = Micros(c.expires_at);
  c.created_at = Micros(Now());
  return absl::OkStatus();
}

absl::StatusOr<MafCredential> MemoryMafStore::GetCredentialByKmId(absl::string_view km_id) {
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(km_id);
  if (it == credentials_.end() || it->second.expires_at <= Now()) {
    return absl::NotFoundError("no such credential");
  }
  if (it->second.revoked) return absl::FailedPreconditionError("credential revoked");
  return it->second;
}

absl::StatusOr<MafCredential> MemoryMafStore::GetCredentialByKeId(absl::string_view ke_id) {
  std::string km_id;
  {
    absl::MutexLock lock(&mu_);
    auto it = km_by_ke_.find(ke_id);
    if (it == km_by_ke_.end()) return absl::NotFoundError("no such credential");
    km_id = it->second;
  }
  return GetCredentialByKmId(km_id);
}

absl::Status MemoryMafStore::RecordHandshake(absl::string_view km_id, Transport transport) {
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(km_id);
  if (it == credentials_.end()) return absl::NotFoundError("no such credential");
  const absl::Time now = Micros(Now());
  MafCredential& c = it->second;
  if (c.last_handshake_at != absl::InfinitePast() &&
      now - c.last_handshake_at < kHandshakeRecordInterval) {
    return absl::OkStatus();
  }
  c.last_handshake_at = now;
  c.last_transport = transport;
  return absl::OkStatus();
}

void MemoryMafStore::FillHandshakeLocked(MafClient& client) const {
  auto it = credentials_.find(client.km_id);
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

std::vector<std::string> MemoryMafStore::RevokeCredentialsLocked(
    const std::vector<std::string>& km_ids, const Revocation& why) {
  for (const std::string& km_id : km_ids) {
    MafCredential& c = credentials_[km_id];
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

absl::StatusOr<std::vector<std::string>> MemoryMafStore::RevokeByKeId(absl::string_view ke_id,
                                                                      const Revocation& why) {
  absl::MutexLock lock(&mu_);
  auto it = km_by_ke_.find(ke_id);
  if (it == km_by_ke_.end()) return std::vector<std::string>();
  return RevokeCredentialsLocked({it->second}, why);
}

absl::StatusOr<std::vector<std::string>> MemoryMafStore::RevokeByEnroleeId(
    absl::string_view enrolee_id, const Revocation& why) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> km_ids;
  for (const auto& [km_id, c] : credentials_) {
    if (c.enrolee_id == enrolee_id) km_ids.push_back(km_id);
  }
  return RevokeCredentialsLocked(km_ids, why);
}

absl::StatusOr<MafClient> MemoryMafStore::RegisterClient(absl::string_view km_id,
                                                         absl::Time requested_expiry) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  if (requested_expiry <= now) return absl::InvalidArgumentError("expiry must be in the future");
  auto cit = credentials_.find(km_id);
  if (cit == credentials_.end() || cit->second.revoked || cit->second.expires_at <= now) {
    return absl::FailedPreconditionError("no usable credential for this KmID");
  }
  for (const auto& [id, client] : clients_) {
    if (client.km_id == km_id && client.state == ClientState::kActive) return client;
  }
  MafClient c;
  c.maf_client_reg_id = NewClientRegId();
  c.km_id = std::string(km_id);
  c.ke_id = cit->second.ke_id;
  c.enrolee_id = cit->second.enrolee_id;
  c.expires_at = std::min(cit->second.expires_at, Micros(requested_expiry));
  c.created_at = Micros(now);
  c.state = ClientState::kActive;
  clients_[c.maf_client_reg_id] = c;
  return c;
}

absl::StatusOr<MafClient> MemoryMafStore::UpdateClient(absl::string_view maf_client_reg_id,
                                                       absl::string_view km_id,
                                                       const ClientUpdate& update) {
  if (update.labels.has_value()) {
    absl::Status s = ValidateLabels(*update.labels);
    if (!s.ok()) return s;
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  if (update.expires_at.has_value() && *update.expires_at <= now) {
    return absl::InvalidArgumentError("expiry must be in the future");
  }
  auto it = clients_.find(maf_client_reg_id);
  if (it == clients_.end() || EffectiveClientState(it->second, now) != EffectiveState::kActive) {
    return absl::NotFoundError("no active client registration");
  }
  MafClient& c = it->second;
  if (c.km_id != km_id) return absl::PermissionDeniedError("registration of another Km");
  if (update.expires_at.has_value()) {
    auto cit = credentials_.find(c.km_id);
    if (cit == credentials_.end()) return absl::NotFoundError("no active client registration");
    c.expires_at = std::min(cit->second.expires_at, Micros(*update.expires_at));
    for (auto& [id, k] : keys_) {
      if (k.maf_client_reg_id == c.maf_client_reg_id && k.state == KeyState::kActive &&
          k.expires_at > c.expires_at) {
        k.expires_at = c.expires_at;
        k.updated_at = Micros(now);
      }
    }
  }
  if (update.labels.has_value()) c.labels = *update.labels;
  return c;
}

absl::StatusOr<MafClient> MemoryMafStore::GetActiveClientByKmId(absl::string_view km_id) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  for (const auto& [id, client] : clients_) {
    if (client.km_id == km_id && EffectiveClientState(client, now) == EffectiveState::kActive) {
      return client;
    }
  }
  return absl::NotFoundError("no active client registration");
}

int MemoryMafStore::ActiveKeyCountLocked(const std::string& reg_id) const {
  const absl::Time now = Now();
  int n = 0;
  for (const auto& [id, key] : keys_) {
    if (key.maf_client_reg_id == reg_id && EffectiveKeyState(key, now) == EffectiveState::kActive) {
      ++n;
    }
  }
  return n;
}

absl::StatusOr<MafClient> MemoryMafStore::GetClient(absl::string_view maf_client_reg_id) {
  absl::MutexLock lock(&mu_);
  auto it = clients_.find(maf_client_reg_id);
  if (it == clients_.end()) return absl::NotFoundError("no such client");
  MafClient c = it->second;
  c.active_key_count = ActiveKeyCountLocked(c.maf_client_reg_id);
  FillHandshakeLocked(c);
  return c;
}

absl::StatusOr<MafClient> MemoryMafStore::GetLatestClientByKmId(absl::string_view km_id) {
  absl::MutexLock lock(&mu_);
  const MafClient* latest = nullptr;
  for (const auto& [id, client] : clients_) {
    if (client.km_id != km_id) continue;
    if (latest == nullptr || client.created_at > latest->created_at ||
        (client.created_at == latest->created_at &&
         client.maf_client_reg_id > latest->maf_client_reg_id)) {
      latest = &client;
    }
  }
  if (latest == nullptr) return absl::NotFoundError("no such client");
  MafClient c = *latest;
  c.active_key_count = ActiveKeyCountLocked(c.maf_client_reg_id);
  FillHandshakeLocked(c);
  return c;
}

absl::Status MemoryMafStore::DeregisterClient(absl::string_view maf_client_reg_id) {
  absl::MutexLock lock(&mu_);
  auto it = clients_.find(maf_client_reg_id);
  if (it == clients_.end() || it->second.state != ClientState::kActive) {
    return absl::NotFoundError("no active client registration");
  }
  it->second.state = ClientState::kDeregistered;
  const absl::Time now = Micros(Now());
  for (auto& [id, key] : keys_) {
    if (key.maf_client_reg_id == maf_client_reg_id && key.state == KeyState::kActive) {
      key.state = KeyState::kDeregistered;
      key.updated_at = now;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<MafClient> MemoryMafStore::RevokeClient(absl::string_view maf_client_reg_id,
                                                       const Revocation& why) {
  absl::MutexLock lock(&mu_);
  auto it = clients_.find(maf_client_reg_id);
  if (it == clients_.end()) return absl::NotFoundError("no such client");
  RevokeCredentialsLocked({it->second.km_id}, why);
  MafClient c = it->second;
  c.active_key_count = 0;
  FillHandshakeLocked(c);
  return c;
}

absl::StatusOr<MafKey> MemoryMafStore::RegisterKey(const MafKey& key) {
  absl::Status s = ValidateNewKey(key);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  auto cit = clients_.find(key.maf_client_reg_id);
  if (cit == clients_.end() || EffectiveClientState(cit->second, now) != EffectiveState::kActive) {
    return absl::FailedPreconditionError("client is not registered");
  }
  if (Micros(key.expires_at) > cit->second.expires_at) {
    return absl::InvalidArgumentError("key expiry after the client's expiry");
  }
  if (keys_.count(key.key_id) > 0) return absl::AlreadyExistsError("key_id already registered");
  MafKey k = key;
  k.km_id = cit->second.km_id;
  k.client_id = cit->second.enrolee_id;
  k.expires_at = Micros(k.expires_at);
  k.created_at = k.updated_at = Micros(now);
  k.state = KeyState::kActive;
  k.revocation.reset();
  keys_[k.key_id] = k;
  return k;
}

absl::StatusOr<MafKey> MemoryMafStore::GetActiveKey(absl::string_view key_id) {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key_id);
  if (it == keys_.end() || EffectiveKeyState(it->second, Now()) != EffectiveState::kActive) {
    return NoKey();
  }
  return it->second;
}

absl::StatusOr<MafKey> MemoryMafStore::GetKey(absl::string_view key_id) {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key_id);
  if (it == keys_.end()) return NoKey();
  return it->second;
}

absl::StatusOr<MafKey*> MemoryMafStore::OwnedActiveKeyLocked(absl::string_view key_id,
                                                             absl::string_view reg_id) {
  auto it = keys_.find(key_id);
  if (it == keys_.end() || EffectiveKeyState(it->second, Now()) != EffectiveState::kActive) {
    return NoKey();
  }
  if (it->second.maf_client_reg_id != reg_id) {
    return absl::PermissionDeniedError("key registered by another client");
  }
  return &it->second;
}

absl::StatusOr<MafKey> MemoryMafStore::UpdateKey(absl::string_view key_id,
                                                 absl::string_view maf_client_reg_id,
                                                 const KeyUpdate& update) {
  if (update.target_ids.has_value()) {
    absl::Status s = ValidateTargetIds(*update.target_ids);
    if (!s.ok()) return s;
  }
  if (update.labels.has_value()) {
    absl::Status s = ValidateLabels(*update.labels);
    if (!s.ok()) return s;
  }
  if (update.key.has_value() && update.key->ciphertext.empty()) {
    return absl::InvalidArgumentError("sealed key must not be empty");
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<MafKey*> k = OwnedActiveKeyLocked(key_id, maf_client_reg_id);
  if (!k.ok()) return k.status();
  if (update.expires_at.has_value()) {
    auto cit = clients_.find((*k)->maf_client_reg_id);
    if (cit == clients_.end() || Micros(*update.expires_at) > cit->second.expires_at ||
        *update.expires_at == absl::InfinitePast()) {
      return absl::InvalidArgumentError("key expiry after the client's expiry");
    }
    (*k)->expires_at = Micros(*update.expires_at);
  }
  if (update.target_ids.has_value()) (*k)->target_ids = *update.target_ids;
  if (update.suid.has_value()) (*k)->suid = *update.suid;
  if (update.key.has_value()) (*k)->key = *update.key;
  if (update.labels.has_value()) (*k)->labels = *update.labels;
  (*k)->updated_at = Micros(Now());
  return **k;
}

absl::Status MemoryMafStore::DeregisterKey(absl::string_view key_id,
                                           absl::string_view maf_client_reg_id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<MafKey*> k = OwnedActiveKeyLocked(key_id, maf_client_reg_id);
  if (!k.ok()) return k.status();
  (*k)->state = KeyState::kDeregistered;
  (*k)->updated_at = Micros(Now());
  return absl::OkStatus();
}

absl::StatusOr<MafKey> MemoryMafStore::RevokeKey(absl::string_view key_id, const Revocation& why) {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key_id);
  if (it == keys_.end()) return NoKey();
  MafKey& k = it->second;
  if (k.state != KeyState::kRevoked) {
    k.state = KeyState::kRevoked;
    Revocation r = why;
    r.time = Micros(Now());
    k.revocation = r;
    k.updated_at = r.time;
  }
  return k;
}

absl::StatusOr<ListClientsResponse> MemoryMafStore::ListClients(const ListClientsRequest& request) {
  const std::string filter =
      absl::StrCat("clients|", StateTag(request.state), "|", request.client_id);
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, filter);
  if (!after.ok()) return after.status();
  const size_t limit = paging::ClampPageSize(request.page_size);
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  ListClientsResponse out;
  for (auto it = clients_.upper_bound(*after); it != clients_.end(); ++it) {
    const MafClient& c = it->second;
    if (!request.client_id.empty() && c.enrolee_id != request.client_id) continue;
    if (request.state.has_value() && EffectiveClientState(c, now) != *request.state) continue;
    if (out.clients.size() == limit) {
      out.next_page_token = paging::EncodePageToken(filter, out.clients.back().maf_client_reg_id);
      break;
    }
    out.clients.push_back(c);
    out.clients.back().active_key_count = ActiveKeyCountLocked(c.maf_client_reg_id);
    FillHandshakeLocked(out.clients.back());
  }
  return out;
}

absl::StatusOr<ListKeysResponse> MemoryMafStore::ListKeys(const ListKeysRequest& request) {
  const std::string filter = absl::StrCat("keys|", StateTag(request.state), "|",
                                          request.maf_client_reg_id, "|", request.target_id);
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, filter);
  if (!after.ok()) return after.status();
  const size_t limit = paging::ClampPageSize(request.page_size);
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  ListKeysResponse out;
  for (auto it = keys_.upper_bound(*after); it != keys_.end(); ++it) {
    const MafKey& k = it->second;
    if (!request.maf_client_reg_id.empty() && k.maf_client_reg_id != request.maf_client_reg_id) {
      continue;
    }
    if (!request.target_id.empty() && std::find(k.target_ids.begin(), k.target_ids.end(),
                                                request.target_id) == k.target_ids.end()) {
      continue;
    }
    if (request.state.has_value() && EffectiveKeyState(k, now) != *request.state) continue;
    if (out.keys.size() == limit) {
      out.next_page_token = paging::EncodePageToken(filter, out.keys.back().key_id);
      break;
    }
    out.keys.push_back(k);
  }
  return out;
}

absl::StatusOr<std::vector<KekVersionCount>> MemoryMafStore::CountKekVersions() {
  absl::MutexLock lock(&mu_);
  std::map<std::pair<SealedColumn, int32_t>, int64_t> counts;
  for (const auto& [id, c] : credentials_) {
    if (!c.km.ciphertext.empty()) ++counts[{SealedColumn::kCredentialKm, c.km.kek_version}];
  }
  for (const auto& [id, k] : keys_) {
    if (!k.key.ciphertext.empty()) ++counts[{SealedColumn::kKeyValue, k.key.kek_version}];
  }
  std::vector<KekVersionCount> out;
  for (const auto& [column_version, rows] : counts) {
    out.push_back(KekVersionCount{column_version.first, column_version.second, rows});
  }
  return out;
}

absl::StatusOr<RewrapResult> MemoryMafStore::RewrapBatch(int32_t target_version, int limit,
                                                         const Resealer& reseal) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<kek::PendingRow<SealedColumn, SealedKey>> batch;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, c] : credentials_) {
      if (static_cast<int>(batch.size()) == limit) break;
      if (!c.km.ciphertext.empty() && c.km.kek_version != target_version) {
        batch.push_back({SealedColumn::kCredentialKm, id, c.km});
      }
    }
    for (const auto& [id, k] : keys_) {
      if (static_cast<int>(batch.size()) == limit) break;
      if (!k.key.ciphertext.empty() && k.key.kek_version != target_version) {
        batch.push_back({SealedColumn::kKeyValue, id, k.key});
      }
    }
  }
  // Re-seal without the lock, as the PostgreSQL store does, then update only rows still holding
  // the blob that was read (the optimistic check of MafStore::RewrapBatch).
  absl::StatusOr<kek::RewrapCounts> n =
      kek::ResealRows(batch, reseal,
                      [this](const kek::PendingRow<SealedColumn, SealedKey>& p,
                             SealedKey fresh) -> absl::StatusOr<bool> {
                        absl::MutexLock lock(&mu_);
                        SealedKey* current = nullptr;
                        if (p.column == SealedColumn::kCredentialKm) {
                          auto it = credentials_.find(p.id);
                          if (it != credentials_.end()) current = &it->second.km;
                        } else {
                          auto it = keys_.find(p.id);
                          if (it != keys_.end()) current = &it->second.key;
                        }
                        if (current == nullptr || current->ciphertext != p.old.ciphertext)
                          return false;
                        *current = std::move(fresh);
                        return true;
                      });
  if (!n.ok()) return n.status();
  RewrapResult result;
  result.rewrapped = n->rewrapped;
  result.raced = n->raced;
  absl::StatusOr<std::vector<KekVersionCount>> counts = CountKekVersions();
  if (!counts.ok()) return counts.status();
  for (const KekVersionCount& c : *counts) {
    if (c.kek_version != target_version) result.left += c.rows;
  }
  return result;
}

}  // namespace maf
}  // namespace onem2m
