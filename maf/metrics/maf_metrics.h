// File: maf/metrics/maf_metrics.h
//
// MafMetrics exports the MAF's own series (handshake series come from ops::HandshakeMetrics):
//   onem2m_maf_credential_fetches_total{outcome}          Km fetches from MEFs (docs/protocol.md 6)
//   onem2m_maf_credential_fetch_duration_seconds{outcome}
//   onem2m_maf_requests_total{path,rsc}                   MAF procedures over device sessions
//   onem2m_maf_key_retrievals_total{outcome}              GetKey (Key Retrieval over gRPC)
//   onem2m_maf_key_retrieval_duration_seconds{outcome}
//   onem2m_maf_revocation_write_failures_total{path}      revocation writes retried (watch, fetch)
//   onem2m_maf_handshake_notes_total{outcome}             admin-view handshake notes (written, ...)
//
//   MafMetrics metrics(*registry);
//   options.fetchers[mef_fqdn] = metrics.Timed(std::make_shared<MefCredentialClient>(...));
#ifndef ONEM2M_MAF_METRICS_MAF_METRICS_H_
#define ONEM2M_MAF_METRICS_MAF_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "maf/km_resolver/mef_fetcher.h"

namespace onem2m::maf {

// RouteLabel is `path` when the MAF serves it (exchange::PathFor of its operation), else "other".
std::string RouteLabel(const std::string& path);

class MafMetrics {
 public:
  explicit MafMetrics(prometheus::Registry& registry);

  // Timed wraps a fetcher so every fetch is counted and timed. The metrics must outlive it.
  std::shared_ptr<MefFetcher> Timed(std::shared_ptr<MefFetcher> inner);

  // OnRequest counts one MAF procedure answered with `rsc`; the path label is the route's path or
  // "other" (RouteLabel), never the raw request path.
  void OnRequest(const std::string& path, int rsc);

  void OnFetch(const absl::Status& status, absl::Duration latency);

  // OnKeyRetrieval counts and times one GetKey call. `outcome` is one of MafKeyServiceImpl's fixed
  // outcomes (KeyRetrievalOutcomes), never caller input.
  void OnKeyRetrieval(absl::string_view outcome, absl::Duration latency);

  // OnRevocationWriteFailure counts one revocation the store did not take (it is retried):
  // `path` is "watch" (an event of a MEF's revocation stream, retried by the watch) or "fetch" (a
  // revocation that raced a Km fetch, retried by the KmResolver's next flight); anything else is
  // counted as "other".
  void OnRevocationWriteFailure(absl::string_view path);

  // OnHandshakeNotes counts `n` handshake notes (maf/server/handshake_recorder.h) by outcome:
  // "written", "failed" (a batch the store refused; the notes are kept for the next flush) or
  // "dropped" (too many held during an outage); anything else is "other".
  void OnHandshakeNotes(absl::string_view outcome, int64_t n);

 private:
  prometheus::Family<prometheus::Counter>& fetches_;
  prometheus::Family<prometheus::Histogram>& fetch_seconds_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& key_retrievals_;
  prometheus::Family<prometheus::Histogram>& key_retrieval_seconds_;
  prometheus::Family<prometheus::Counter>& revocation_write_failures_;
  prometheus::Family<prometheus::Counter>& handshake_notes_;
};

// KeyRetrievalOutcomes lists every outcome label of onem2m_maf_key_retrievals_total.
const std::vector<std::string>& KeyRetrievalOutcomes();

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_METRICS_MAF_METRICS_H_
