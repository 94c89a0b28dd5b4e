// MemoryMafStore's MAF Client Registrations (TS-0003 8.8.2.3-8.8.2.6) and their admin reads.
#include <algorithm>

#include "common/paging/page_token.h"
#include "maf/store/memory_maf_internal.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {

using memory_internal::Micros;
using memory_internal::StateTag;

absl::StatusOr<MafClient> MemoryMafStore::RegisterClient(const crypto::KeyId& km_id,
                                                         absl::Time requested_expiry) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  if (requested_expiry <= now) return absl::InvalidArgumentError("expiry must be in the future");
  auto cit = credentials_.find(km_id.ToString());
  if (cit == credentials_.end() || cit->second.revoked || cit->second.expires_at <= now) {
    return absl::FailedPreconditionError("no usable credential for this KmID");
  }
  for (const auto& [id, client] : clients_) {
    if (client.km_id == km_id && client.state == ClientState::kActive) return client;
  }
  MafClient c;
  c.maf_client_reg_id = NewClientRegId();
  c.km_id = km_id;
  c.ke_id = cit->second.ke_id;
  c.enrolee_id = cit->second.enrolee_id;
  c.expires_at = std::min(cit->second.expires_at, Micros(requested_expiry));
  c.created_at = Micros(now);
  c.state = ClientState::kActive;
  clients_[c.maf_client_reg_id] = c;
  return c;
}

absl::StatusOr<MafClient> MemoryMafStore::UpdateClient(absl::string_view maf_client_reg_id,
                                                       const crypto::KeyId& km_id,
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
    auto cit = credentials_.find(c.km_id.ToString());
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

absl::StatusOr<MafClient> MemoryMafStore::GetActiveClientByKmId(const crypto::KeyId& km_id) {
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

absl::StatusOr<MafClient> MemoryMafStore::GetLatestClientByKmId(const crypto::KeyId& km_id) {
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

}  // namespace maf
}  // namespace onem2m
