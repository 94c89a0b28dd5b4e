// File: mef/admin/testing/failing_store.h
//
// FailingStore forwards every call to a real EnroleeStore but fails BulkCreate with UNAVAILABLE
// from its `fail_from`-th call on, as a database outage in the middle of a bulk import would.
//
//   AdminTestServer::Start("memory", options, [](EnroleeStore* real) {
//     return std::make_unique<FailingStore>(real, /*fail_from=*/3);
//   });
#ifndef ONEM2M_MEF_ADMIN_TESTING_FAILING_STORE_H_
#define ONEM2M_MEF_ADMIN_TESTING_FAILING_STORE_H_

#include <atomic>
#include <vector>

#include "mef/store/forwarding_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace testing {

class FailingStore final : public ForwardingEnroleeStore {
 public:
  FailingStore(EnroleeStore* real, int fail_from)
      : ForwardingEnroleeStore(real), fail_from_(fail_from) {}
  absl::StatusOr<std::vector<absl::Status>> BulkCreate(const std::vector<Enrolee>& e) override {
    if (++calls_ >= fail_from_) return absl::UnavailableError("database connection lost");
    return ForwardingEnroleeStore::BulkCreate(e);
  }

 private:
  const int fail_from_;
  std::atomic<int> calls_{0};
};

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_TESTING_FAILING_STORE_H_
