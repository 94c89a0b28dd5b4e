// File: maf/mef_client/mef_revocations.h
//
// MefRevocations is the MAF's subscription to every MEF's revocations (docs/protocol.md 6): one
// RevocationWatcher per MEF, each event applied to the KmResolver (ApplyRevocationEvent, retried by
// the watch until the store takes it) and logged, a resync dropping what was cached from that MEF,
// and the resolver's trust_cache answered from the watches' health (cached Km of a MEF is served
// only while its watch is alive).
//
//   RevocationWatcher::Options watch;
//   watch.on_event_failed = [&](auto&) { metrics.OnRevocationWriteFailure("watch"); };
//   onem2m::maf::MefRevocations revocations(watch);
//   ko.trust_cache = revocations.TrustCache();          // before the resolver exists
//   std::shared_ptr<KmResolver> resolver = *KmResolver::Create(ko);
//   revocations.Start(resolver, channels);              // before any handshake
//   ...
//   revocations.Stop();                                 // or destroy it
#ifndef ONEM2M_MAF_MEF_CLIENT_MEF_REVOCATIONS_H_
#define ONEM2M_MAF_MEF_CLIENT_MEF_REVOCATIONS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/revocation_watcher.h"

namespace onem2m::maf {

class MefRevocations {
 public:
  // Channels by MEF-FQDN, as the MAF's fetchers use them.
  using Channels = std::map<std::string, std::shared_ptr<grpc::ChannelInterface>>;

  // `watch` sets the heartbeat interval and reconnect backoff of every watch; its on_event and
  // on_resync are ignored (MefRevocations installs its own). Its on_event_failed is told of every
  // revocation write that failed (the watch retries it; the MAF counts it in its metrics).
  explicit MefRevocations(RevocationWatcher::Options watch = {});
  ~MefRevocations();  // calls Stop
  MefRevocations(const MefRevocations&) = delete;
  MefRevocations& operator=(const MefRevocations&) = delete;

  // TrustCache returns a KmResolverOptions::trust_cache that is true for a MEF whose watch is
  // healthy (false before Start and for an unknown MEF). It must not outlive this object.
  std::function<bool(const std::string& mef_fqdn)> TrustCache();

  // Start opens one watch per channel, applying its events to `resolver`. Call once.
  void Start(std::shared_ptr<KmResolver> resolver, const Channels& channels);

  // Stop closes every watch. Idempotent.
  void Stop();

  // Healthy is the health of the watch on `mef_fqdn` (false if there is none).
  bool Healthy(const std::string& mef_fqdn) const;

 private:
  const RevocationWatcher::Options watch_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<RevocationWatcher>> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_MEF_CLIENT_MEF_REVOCATIONS_H_
