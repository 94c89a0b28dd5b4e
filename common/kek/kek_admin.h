// File: common/kek/kek_admin.h
//
// The parts of the KekStatus and RewrapBatch admin RPCs that do not depend on which store holds
// the sealed rows, so the MEF and the MAF answer them the same way (docs/operations.md "Rotate the
// key-encryption key (KEK)", docs/protocol.md section 8 for the envelope format).
//
//   std::vector<kek::ColumnCount> counts = ...;  // from the store
//   kek::FillKekStatus(envelope, counts, response);
//   absl::StatusOr<int> batch = kek::RewrapBatchSize(*request);
//   absl::StatusOr<std::string> blob = kek::ResealUnderActive(envelope, row_id, old_blob);
#ifndef ONEM2M_COMMON_KEK_KEK_ADMIN_H_
#define ONEM2M_COMMON_KEK_KEK_ADMIN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/envelope.h"
#include "proto/onem2m/rsp/v1/common.pb.h"

namespace onem2m {
namespace kek {

// ColumnCount: `rows` rows of the sealed column `column` (e.g. "enrolees.kpm") are under
// `kek_version`.
struct ColumnCount {
  std::string column;
  int32_t kek_version = 0;
  int64_t rows = 0;
};

// FillKekStatus sets the active version, the keyring's versions and one KekVersionRows per count
// (in_keyring false for a version the keyring lacks) in `response`.
void FillKekStatus(const crypto::Envelope& envelope, const std::vector<ColumnCount>& counts,
                   ::onem2m::rsp::v1::KekStatusResponse* response);

// RewrapBatchSize returns the request's batch size (0 means 1000), or INVALID_ARGUMENT outside
// 0..10000.
absl::StatusOr<int> RewrapBatchSize(const ::onem2m::rsp::v1::RewrapBatchRequest& request);

// ActiveVersion returns the envelope's active version as the stores' int32, or
// FAILED_PRECONDITION if it does not fit.
absl::StatusOr<int32_t> ActiveVersion(const crypto::Envelope& envelope);

// ResealUnderActive opens `old_blob` under its own KEK version and seals the key again under the
// active one, both bound to `id` (the row's associated data). The clear key lives only inside
// this call and is wiped. Errors are Envelope::Open's and Seal's (NotFound: version not in the
// keyring; DataLoss: the blob does not open).
absl::StatusOr<std::string> ResealUnderActive(const crypto::Envelope& envelope,
                                              absl::string_view id, absl::string_view old_blob);

// ResealerUnderActive returns a store's Resealer (MEF or MAF: any column type, any sealed type
// with `ciphertext` and `kek_version`) that re-seals a row's blob under `active`, bound to the
// row's id. `envelope` must outlive it.
template <typename Column, typename Sealed>
std::function<absl::StatusOr<Sealed>(Column, absl::string_view, const Sealed&)>
ResealerUnderActive(const crypto::Envelope& envelope, int32_t active) {
  return [&envelope, active](Column, absl::string_view id,
                             const Sealed& old) -> absl::StatusOr<Sealed> {
    absl::StatusOr<std::string> blob = ResealUnderActive(envelope, id, old.ciphertext);
    if (!blob.ok()) return blob.status();
    return Sealed{*std::move(blob), active};
  };
}

}  // namespace kek
}  // namespace onem2m

#endif  // ONEM2M_COMMON_KEK_KEK_ADMIN_H_
