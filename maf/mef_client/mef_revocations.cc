#include "maf/mef_client/mef_revocations.h"

#include <utility>
#include <vector>

#include "common/log/logger.h"
#include "maf/mef_client/revocation_events.h"

namespace onem2m::maf {

MefRevocations::MefRevocations(RevocationWatcher::Options watch) : watch_(std::move(watch)) {}

MefRevocations::~MefRevocations() { Stop(); }

std::function<bool(const std::string&)> MefRevocations::TrustCache() {
  return [this](const std::string& mef_fqdn) { return Healthy(mef_fqdn); };
}

void MefRevocations::Start(std::shared_ptr<KmResolver> resolver, const Channels& channels) {
  absl::MutexLock lock(&mu_);
  for (const auto& [mef_fqdn, channel] : channels) {
    RevocationWatcher::Options o = watch_;
    const std::string fqdn = mef_fqdn;
    o.on_event = [resolver, fqdn](const rsp::v1::RevocationEvent& e) {
      absl::Status s = ApplyRevocationEvent(*resolver, fqdn, e);
      if (s.ok() && Revokes(e)) {
        Log(Level::kInfo, "mef_revocation",
            {{"mef", fqdn},
             {"kind", rsp::v1::RevocationEvent::Kind_Name(e.kind())},
             {"enrolee_id", e.enrolee_id()}});
      }
      return s;
    };
    o.on_resync = [resolver, fqdn] { resolver->OnMefResync(fqdn); };
    auto watcher = std::make_unique<RevocationWatcher>(channel, std::move(o));
    watcher->Start();
    watchers_[mef_fqdn] = std::move(watcher);
  }
}

void MefRevocations::Stop() {
  // Stop joins the watch threads, whose callbacks may run meanwhile; they never take mu_.
  std::vector<RevocationWatcher*> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [fqdn, w] : watchers_) all.push_back(w.get());
  }
  for (RevocationWatcher* w : all) w->Stop();
}

bool MefRevocations::Healthy(const std::string& mef_fqdn) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = watchers_.find(mef_fqdn);
  return it != watchers_.end() && it->second->Healthy();
}

}  // namespace onem2m::maf
