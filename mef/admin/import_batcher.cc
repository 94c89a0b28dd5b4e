#include "mef/admin/import_batcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "common/secret_bytes.h"
#include "mef/admin/enrolee_validation.h"

namespace onem2m {
namespace mef {

namespace v1 = ::onem2m::rsp::v1;

ImportBatcher::ImportBatcher(EnroleeStore* store, KpmSealer* sealer, size_t batch_size,
                             std::string actor)
    : store_(store),
      sealer_(sealer),
      batch_size_(batch_size == 0 ? 1 : batch_size),
      actor_(std::move(actor)) {
  batch_.reserve(batch_size_);
  batch_rows_.reserve(batch_size_);
}

void ImportBatcher::Reject(uint64_t position, uint64_t row_ref, std::string kpm_id,
                           const absl::Status& s) {
  Audit("enrolee_import_row", {{"actor", actor_},
                               {"kpm_id", kpm_id},
                               {"row", absl::StrCat(row_ref)},
                               {"outcome", std::string(absl::StatusCodeToString(s.code()))}});
  rejections_.push_back(Rejection{position, row_ref, std::move(kpm_id), s.code(),
                                  absl::StrCat("row ", row_ref, ": ", s.message())});
}

absl::Status ImportBatcher::Add(v1::ImportEnroleesRequest* row) {
  // Move Kpm out of the protobuf at once so it is wiped on every path below.
  SecretBytes kpm = SecretBytes::Copy(row->enrolee().kpm());
  WipeString(row->mutable_enrolee()->mutable_kpm());
  if (!failure_.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("import already failed: ", failure_.message()));
  }
  const uint64_t position = ++received_;
  const uint64_t row_ref = row->row() != 0 ? row->row() : position;
  const v1::EnroleeSpec& spec = row->enrolee().spec();
  // Report the KpmID only when it is itself valid, as the proto asks.
  std::string kpm_id = ValidateKpmIdField(spec.kpm_id()).ok() ? spec.kpm_id() : std::string();

  absl::StatusOr<Enrolee> enrolee = SpecToEnrolee(spec);
  absl::Status s = enrolee.status();
  if (s.ok()) s = ValidateKpmSize("kpm", kpm.size());
  if (!s.ok()) {
    Reject(position, row_ref, std::move(kpm_id), s);
    return absl::OkStatus();
  }
  absl::StatusOr<SealedKey> sealed = sealer_->Seal(kpm, enrolee->kpm_id);
  if (!sealed.ok()) {
    failure_ = absl::Status(sealed.status().code(),
                            absl::StrCat("sealing Kpm failed: ", sealed.status().message()));
    batch_rows_.push_back(Pending{position, row_ref});  // counts as the first uncommitted row
    return failure_;
  }
  enrolee->kpm = *std::move(sealed);
  batch_.push_back(*std::move(enrolee));
  batch_rows_.push_back(Pending{position, row_ref});
  if (batch_.size() >= batch_size_) return Flush();
  return absl::OkStatus();
}

absl::Status ImportBatcher::Flush() {
  if (!failure_.ok()) return failure_;
  if (batch_.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<absl::Status>> results = store_->BulkCreate(batch_);
  if (!results.ok() || results->size() != batch_.size()) {
    // Nothing of this batch is stored (BulkCreate is atomic); keep batch_rows_ so the caller can
    // name the first uncommitted row.
    failure_ = results.ok() ? absl::InternalError("store returned a result count that does not "
                                                  "match the batch; batch not counted")
                            : results.status();
    return failure_;
  }
  for (size_t i = 0; i < batch_.size(); ++i) {
    const absl::Status& r = (*results)[i];
    if (r.ok()) {
      ++accepted_;
      Audit("enrolee_import_row", {{"actor", actor_},
                                   {"kpm_id", batch_[i].kpm_id},
                                   {"row", absl::StrCat(batch_rows_[i].row_ref)},
                                   {"outcome", "OK"}});
    } else {
      Reject(batch_rows_[i].position, batch_rows_[i].row_ref, batch_[i].kpm_id, r);
    }
  }
  DropPending();
  return absl::OkStatus();
}

void ImportBatcher::DropPending() {
  for (Enrolee& e : batch_) WipeString(&e.kpm.ciphertext);
  batch_.clear();
  batch_rows_.clear();
}

uint64_t ImportBatcher::first_uncommitted_position() const {
  return batch_rows_.empty() ? received_ + 1 : batch_rows_.front().position;
}

uint64_t ImportBatcher::first_uncommitted_row() const {
  return batch_rows_.empty() ? 0 : batch_rows_.front().row_ref;
}

v1::ImportEnroleesSummary ImportBatcher::Summary() const {
  v1::ImportEnroleesSummary out;
  out.set_received_count(received_);
  out.set_accepted_count(accepted_);
  out.set_rejected_count(rejections_.size());
  // Store-level rejections are found a batch later than validation ones; restore stream order.
  std::vector<const Rejection*> sorted;
  sorted.reserve(rejections_.size());
  for (const Rejection& r : rejections_) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Rejection* a, const Rejection* b) {
    return a->position < b->position;
  });
  for (const Rejection* r : sorted) {
    if (static_cast<size_t>(out.rejections_size()) >= kMaxReportedRejections) {
      out.set_rejections_truncated(true);
      break;
    }
    v1::ImportEnroleesSummary::Rejection* o = out.add_rejections();
    o->set_row(r->row_ref);
    o->set_kpm_id(r->kpm_id);
    o->set_code(static_cast<int32_t>(r->code));
    o->set_reason(r->reason);
  }
  return out;
}

}  // namespace mef
}  // namespace onem2m
