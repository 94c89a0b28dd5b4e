// File: mef/credential/testing/fake_enrolee_store.h
//
// FakeEnroleeStore is a MemoryEnroleeStore with a switch that makes every call fail with
// kUnavailable, for the credential service's "store down" tests.
//
//   FakeEnroleeStore store;
//   store.CreateEnrolee(enrolee);
//   store.set_down(true);   // every call now fails with kUnavailable
#ifndef ONEM2M_MEF_CREDENTIAL_TESTING_FAKE_ENROLEE_STORE_H_
#define ONEM2M_MEF_CREDENTIAL_TESTING_FAKE_ENROLEE_STORE_H_

#include <atomic>

#include "absl/status/status.h"
#include "mef/store/forwarding_enrolee_store.h"
#include "mef/store/memory_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace testing {

class FakeEnroleeStore final : public ForwardingEnroleeStore {
 public:
  FakeEnroleeStore() : ForwardingEnroleeStore(&memory_) {}

  void set_down(bool down) { down_ = down; }

 protected:
  absl::Status BeforeCall() override {
    return down_ ? absl::UnavailableError("store down (test)") : absl::OkStatus();
  }

 private:
  MemoryEnroleeStore memory_;
  std::atomic<bool> down_{false};
};

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_TESTING_FAKE_ENROLEE_STORE_H_
