// File: maf/km_resolver/testing/fake_fetcher.h
//
// FakeFetcher is the one fake MefFetcher (maf/km_resolver/mef_fetcher.h) of the MAF's tests: it
// plays a MEF that knows every KeID, answering with FakeKmFor(KeID), Enrolee-ID
// FakeEnroleeFor(KeID) and an expiry one hour after its clock's now, unless the test sets `answer`.
// It counts calls.
//
//   auto fetcher = std::make_shared<FakeFetcher>(&clock);       // common/time/testing/fake_clock.h
//   fetcher->answer = [](const crypto::KeyId&, absl::Time) -> absl::StatusOr<FetchedCredential> {
//     return absl::UnavailableError("MEF down");
//   };
//   options.fetchers["mef.example.com"] = fetcher;
//
// Thread-safe as long as the test sets `answer` / `answer_async` before the resolver may call it.
#ifndef ONEM2M_MAF_KM_RESOLVER_TESTING_FAKE_FETCHER_H_
#define ONEM2M_MAF_KM_RESOLVER_TESTING_FAKE_FETCHER_H_

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/time/clock.h"
#include "maf/km_resolver/mef_fetcher.h"

namespace onem2m::maf::testing {

// FakeKmFor returns the Km the fake MEF holds for `ke_id`: 32 copies of the last hex digit of its
// canonical text, so tests can derive the expected KmID.
inline SecretBytes FakeKmFor(const crypto::KeyId& ke_id) {
  const std::string text = ke_id.ToString();
  return SecretBytes::Copy(std::string(32, text[2 * crypto::kRelativeIdLen - 1]));
}

// FakeKeId returns the KeID "EE..EE<i>" (fifteen 'E' bytes, then the byte `i`) at `mef_fqdn`, so
// device i's FakeKmFor is 32 copies of i's last hex digit.
inline std::string FakeKeId(int i, absl::string_view mef_fqdn) {
  return *crypto::FormatKeyId(std::string(15, 'E') + static_cast<char>(i), mef_fqdn);
}

// FakeKmFor, for a KeID in its text form (which must parse).
inline SecretBytes FakeKmFor(absl::string_view ke_id) {
  return FakeKmFor(*crypto::KeyId::Parse(ke_id));
}

// FakeEnroleeFor returns the Enrolee-ID the fake MEF names for `ke_id`: "C-" and the last two hex
// digits of its canonical text.
inline std::string FakeEnroleeFor(const crypto::KeyId& ke_id) {
  return "C-" + ke_id.ToString().substr(2 * crypto::kRelativeIdLen - 2, 2);
}

class FakeFetcher : public MefFetcher {
 public:
  // Answer replaces the default answer (Good) when set.
  using Answer =
      std::function<absl::StatusOr<FetchedCredential>(const crypto::KeyId& ke_id, absl::Time)>;

  // `clock` (not owned) dates the default answers' expiry.
  explicit FakeFetcher(const Clock* clock = Clock::Real()) : clock_(clock) {}

  absl::StatusOr<FetchedCredential> Fetch(const crypto::KeyId& ke_id,
                                          absl::Time deadline) override {
    ++calls;
    if (answer) return answer(ke_id, deadline);
    return Good(ke_id);
  }

  // FetchAsync hands the call to `answer_async` when set (the test answers through `done` later,
  // from any thread, as a MEF client waiting on the network would); else it answers like Fetch.
  void FetchAsync(const crypto::KeyId& ke_id, absl::Time deadline, FetchDone done) override {
    if (!answer_async) return MefFetcher::FetchAsync(ke_id, deadline, std::move(done));
    ++calls;
    answer_async(ke_id, deadline, std::move(done));
  }

  // Good is the default answer: the MEF knows `ke_id`.
  FetchedCredential Good(const crypto::KeyId& ke_id) const {
    FetchedCredential c;
    c.km = FakeKmFor(ke_id);
    c.ke_id = ke_id;
    c.enrolee_id = FakeEnroleeFor(ke_id);
    c.expires_at = clock_->Now() + absl::Hours(1);
    return c;
  }

  std::atomic<int> calls{0};
  Answer answer;
  std::function<void(const crypto::KeyId& ke_id, absl::Time deadline, FetchDone done)> answer_async;

 private:
  const Clock* const clock_;
};

}  // namespace onem2m::maf::testing

#endif  // ONEM2M_MAF_KM_RESOLVER_TESTING_FAKE_FETCHER_H_
