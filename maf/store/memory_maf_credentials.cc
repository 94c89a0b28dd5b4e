// MemoryMafStore's admin view of credentials (FindCredential, ListCredentials, RevokeCredential):
// the Km credentials the MAF learned from MEFs (docs/protocol.md section 7), without their sealed
// Km.
#include "absl/strings/str_cat.h"
#include "common/paging/page_token.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

// AdminView is `c` as an admin read returns it: no sealed Km (MafStore::FindCredential).
MafCredential AdminView(const MafCredential& c) {
  MafCredential out = c;
  out.km.ciphertext.clear();
  return out;
}

}  // namespace

absl::StatusOr<MafCredential> MemoryMafStore::FindCredential(CredentialKey key,
                                                             const crypto::KeyId& id) {
  absl::MutexLock lock(&mu_);
  crypto::KeyId km_id = id;
  if (key == CredentialKey::kKeId) {
    auto k = km_by_ke_.find(id);
    if (k == km_by_ke_.end()) return absl::NotFoundError("no such credential");
    km_id = k->second;
  }
  auto it = credentials_.find(km_id.ToString());
  if (it == credentials_.end()) return absl::NotFoundError("no such credential");
  return AdminView(it->second);
}

absl::StatusOr<ListCredentialsResponse> MemoryMafStore::ListCredentials(
    const ListCredentialsRequest& request) {
  const std::string filter = absl::StrCat(
      "credentials|", request.state.has_value() ? static_cast<int>(*request.state) : -1, "|",
      request.enrolee_id, "|", request.mef_fqdn);
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, filter);
  if (!after.ok()) return after.status();
  const size_t limit = paging::ClampPageSize(request.page_size);
  absl::MutexLock lock(&mu_);
  const absl::Time now = Now();
  ListCredentialsResponse out;
  for (auto it = credentials_.upper_bound(*after); it != credentials_.end(); ++it) {
    const MafCredential& c = it->second;
    if (!request.enrolee_id.empty() && c.enrolee_id != request.enrolee_id) continue;
    if (!request.mef_fqdn.empty() && c.mef_fqdn != request.mef_fqdn) continue;
    if (request.state.has_value() && EffectiveCredentialState(c, now) != *request.state) continue;
    if (out.credentials.size() == limit) {
      out.next_page_token =
          paging::EncodePageToken(filter, out.credentials.back().km_id.ToString());
      break;
    }
    out.credentials.push_back(AdminView(c));
  }
  return out;
}

absl::StatusOr<MafCredential> MemoryMafStore::RevokeCredential(const crypto::KeyId& km_id,
                                                               const Revocation& why) {
  absl::MutexLock lock(&mu_);
  auto it = credentials_.find(km_id.ToString());
  if (it == credentials_.end()) return absl::NotFoundError("no such credential");
  RevokeCredentialsLocked({km_id}, why);
  return AdminView(it->second);
}

}  // namespace maf
}  // namespace onem2m
