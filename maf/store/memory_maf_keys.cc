// MemoryMafStore's registered keys (TS-0003 8.8.2.7-8.8.2.10), their admin reads, and KEK
// rotation over both sealed columns.
#include <algorithm>
#include <map>
#include <utility>

#include "common/kek/reseal_rows.h"
#include "common/paging/page_token.h"
#include "maf/store/memory_maf_internal.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {

using memory_internal::Micros;
using memory_internal::NoKey;
using memory_internal::StateTag;

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
