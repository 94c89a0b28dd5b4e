// File: maf/km_resolver/mef_fetcher.h
//
// MefFetcher is how the KmResolver asks one MEF for Km by KeID (docs/protocol.md section 6). The
// production implementation is MefCredentialClient (maf/mef_client/mef_credential_client.h, gRPC
// over mutual TLS); tests use FakeFetcher (maf/km_resolver/testing/fake_fetcher.h). The KeID is
// typed (crypto::KeyId, parsed once where the PSK identity arrives): the fetcher sends its
// canonical text and checks the MEF's answer names the same KeyId.
//
//   class MyFetcher : public MefFetcher {
//     absl::StatusOr<FetchedCredential> Fetch(const crypto::KeyId& ke_id,
//                                             absl::Time deadline) override;
//   };
#ifndef ONEM2M_MAF_KM_RESOLVER_MEF_FETCHER_H_
#define ONEM2M_MAF_KM_RESOLVER_MEF_FETCHER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace maf {

// FetchedCredential is a MEF's answer: Km for this MAF, the Enrolee-ID and the Ke's expiry.
struct FetchedCredential {
  SecretBytes km;          // 32 bytes
  crypto::KeyId ke_id;     // the KeID the MEF answered for (parsed from its answer)
  std::string enrolee_id;  // becomes the MAF Client ID
  absl::Time expires_at = absl::InfinitePast();
};

// MefFetcher fetches one credential from one MEF.
class MefFetcher {
 public:
  virtual ~MefFetcher() = default;

  // Fetch returns the credential for `ke_id`, or the MEF's status: kNotFound (unknown, expired,
  // disabled or revoked: indistinguishable), kPermissionDenied (not our Enrolee), kUnavailable (MEF
  // unreachable), kDeadlineExceeded. It should return by `deadline`; the resolver does not wait
  // longer than that anyway. Must be safe to call from several threads at once.
  virtual absl::StatusOr<FetchedCredential> Fetch(const crypto::KeyId& ke_id,
                                                  absl::Time deadline) = 0;

  // FetchAsync answers like Fetch through `done`, exactly once, by `deadline`, possibly on another
  // thread. The default runs Fetch on the calling thread; MefCredentialClient overrides it so that
  // no thread is held while it waits between retries (its backoff runs on a timer).
  using FetchDone = std::function<void(absl::StatusOr<FetchedCredential>)>;
  virtual void FetchAsync(const crypto::KeyId& ke_id, absl::Time deadline, FetchDone done) {
    done(Fetch(ke_id, deadline));
  }
};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_KM_RESOLVER_MEF_FETCHER_H_
