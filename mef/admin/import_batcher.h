// File: mef/admin/import_batcher.h
//
// ImportBatcher is the storage half of MefAdminService.ImportEnrolees, kept free of gRPC so its
// commit accounting can be tested directly. Each row is validated and its Kpm sealed (and the
// request's Kpm wiped) as it arrives; valid rows are buffered and written with
// EnroleeStore::BulkCreate, `batch_size` rows per transaction.
//
// WHAT IS COMMITTED WHEN THE STORE FAILS ("nothing half-imported without saying so"):
// batches are atomic and written in stream order, so at any moment the stream splits into a
// committed prefix (every row before first_uncommitted_position(): stored, or rejected with a
// reason in the summary) and an uncommitted suffix (nothing stored). When BulkCreate fails, Add or
// Flush returns its status and the batcher refuses further rows; the caller reports the summary
// (accepted_count = rows stored) and the first uncommitted row. Re-sending the whole file is then
// safe: rows already stored come back as ALREADY_EXISTS rejections and nothing is stored twice.
//
//   ImportBatcher batcher(store, sealer, /*batch_size=*/1000, caller);
//   while (reader->Read(&row)) {
//     absl::Status s = batcher.Add(&row);       // wipes row's Kpm
//     if (!s.ok()) return Fail(s, batcher);     // store failure; see above
//   }
//   absl::Status s = batcher.Flush();
//   ImportEnroleesSummary summary = batcher.TakeSummary();
//
// Not thread-safe: one batcher per stream.
#ifndef ONEM2M_MEF_ADMIN_IMPORT_BATCHER_H_
#define ONEM2M_MEF_ADMIN_IMPORT_BATCHER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mef/admin/kpm_sealer.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_admin.pb.h"

namespace onem2m {
namespace mef {

// kMaxReportedRejections bounds ImportEnroleesSummary.rejections (mef_admin.proto).
inline constexpr size_t kMaxReportedRejections = 1000;

class ImportBatcher {
 public:
  // `store` and `sealer` are not owned. `actor` is the caller's identity, for the audit records.
  ImportBatcher(EnroleeStore* store, KpmSealer* sealer, size_t batch_size, std::string actor);

  // Add takes one row: a bad row becomes a rejection (OK is returned); a good row is buffered and
  // a full buffer is written. The row's Kpm field is wiped in every case. A non-OK return is a
  // store (or sealer) failure; after it Add refuses every row with FAILED_PRECONDITION.
  absl::Status Add(::onem2m::rsp::v1::ImportEnroleesRequest* row);

  // Flush writes the buffered rows (no-op when empty). Same failure contract as Add.
  absl::Status Flush();

  // DropPending forgets buffered rows without writing them (e.g. the client cancelled), wiping
  // their sealed Kpm copies.
  void DropPending();

  // received_count is the number of rows given to Add.
  uint64_t received_count() const { return received_; }
  // accepted_count is the number of rows stored.
  uint64_t accepted_count() const { return accepted_; }
  // first_uncommitted_position is the 1-based stream position of the first row whose outcome is
  // not final (buffered, or in a failed batch); received_count() + 1 when every row is final.
  uint64_t first_uncommitted_position() const;
  // first_uncommitted_row is that row's reference (ImportEnroleesRequest.row or its position); 0
  // when every received row is final.
  uint64_t first_uncommitted_row() const;

  // Summary returns the summary of the committed prefix: rows received, stored, rejected (in
  // stream order, truncated to kMaxReportedRejections).
  ::onem2m::rsp::v1::ImportEnroleesSummary Summary() const;

 private:
  struct Pending {
    uint64_t position;
    uint64_t row_ref;
  };
  struct Rejection {
    uint64_t position;
    uint64_t row_ref;
    std::string kpm_id;
    absl::StatusCode code;
    std::string reason;
  };

  void Reject(uint64_t position, uint64_t row_ref, std::string kpm_id, const absl::Status& s);

  EnroleeStore* const store_;
  KpmSealer* const sealer_;
  const size_t batch_size_;
  const std::string actor_;

  uint64_t received_ = 0;
  uint64_t accepted_ = 0;
  absl::Status failure_;  // the first store/sealer failure; sticky
  std::vector<Enrolee> batch_;
  std::vector<Pending> batch_rows_;
  std::vector<Rejection> rejections_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_IMPORT_BATCHER_H_
