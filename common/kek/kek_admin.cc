#include "common/kek/kek_admin.h"

#include <cstdint>

#include "common/secret_bytes.h"

namespace onem2m {
namespace kek {

namespace v1 = ::onem2m::rsp::v1;

void FillKekStatus(const crypto::Envelope& envelope, const std::vector<ColumnCount>& counts,
                   v1::KekStatusResponse* response) {
  response->set_active_kek_version(envelope.active_version());
  for (uint32_t v : envelope.versions()) response->add_keyring_versions(v);
  for (const ColumnCount& c : counts) {
    v1::KekVersionRows* row = response->add_counts();
    row->set_column(c.column);
    row->set_kek_version(static_cast<uint32_t>(c.kek_version));
    row->set_rows(c.rows);
    row->set_in_keyring(c.kek_version > 0 &&
                        envelope.HasVersion(static_cast<uint32_t>(c.kek_version)));
  }
}

absl::StatusOr<int> RewrapBatchSize(const v1::RewrapBatchRequest& request) {
  if (request.batch_size() < 0 || request.batch_size() > 10000) {
    return absl::InvalidArgumentError("batch_size must be 0..10000");
  }
  return request.batch_size() == 0 ? 1000 : request.batch_size();
}

absl::StatusOr<int32_t> ActiveVersion(const crypto::Envelope& envelope) {
  const uint32_t active = envelope.active_version();
  if (active > static_cast<uint32_t>(INT32_MAX)) {
    return absl::FailedPreconditionError("active KEK version does not fit int32");
  }
  return static_cast<int32_t>(active);
}

absl::StatusOr<std::string> ResealUnderActive(const crypto::Envelope& envelope,
                                              absl::string_view id, absl::string_view old_blob) {
  absl::StatusOr<SecretBytes> clear = envelope.Open(old_blob, id);
  if (!clear.ok()) return clear.status();
  absl::StatusOr<std::string> blob = envelope.Seal(*clear, id);
  clear->Clear();
  return blob;
}

}  // namespace kek
}  // namespace onem2m
