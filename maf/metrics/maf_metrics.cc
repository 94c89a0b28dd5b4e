#include "maf/metrics/maf_metrics.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "common/exchange/routes.h"
#include "common/ops/handshake_metrics.h"

namespace onem2m::maf {
namespace {

// TimedFetcher decorates a MefFetcher with counting and timing.
class TimedFetcher : public MefFetcher {
 public:
  TimedFetcher(std::shared_ptr<MefFetcher> inner, MafMetrics* metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}

  absl::StatusOr<FetchedCredential> Fetch(const crypto::KeyId& ke_id,
                                          absl::Time deadline) override {
    absl::Time start = absl::Now();
    absl::StatusOr<FetchedCredential> r = inner_->Fetch(ke_id, deadline);
    metrics_->OnFetch(r.status(), absl::Now() - start);
    return r;
  }

  void FetchAsync(const crypto::KeyId& ke_id, absl::Time deadline, FetchDone done) override {
    const absl::Time start = absl::Now();
    inner_->FetchAsync(
        ke_id, deadline,
        [metrics = metrics_, start, done = std::move(done)](absl::StatusOr<FetchedCredential> r) {
          metrics->OnFetch(r.status(), absl::Now() - start);
          done(std::move(r));
        });
  }

 private:
  std::shared_ptr<MefFetcher> inner_;
  MafMetrics* metrics_;
};

std::string OutcomeLabel(const absl::Status& s) {
  if (s.ok()) return "ok";
  // "NOT_FOUND" -> "not_found": bounded label values from the canonical codes.
  return absl::AsciiStrToLower(absl::StatusCodeToString(s.code()));
}

}  // namespace

MafMetrics::MafMetrics(prometheus::Registry& registry)
    : fetches_(prometheus::BuildCounter()
                   .Name("onem2m_maf_credential_fetches_total")
                   .Help("Km fetches from MEFs by outcome (canonical status code).")
                   .Register(registry)),
      fetch_seconds_(prometheus::BuildHistogram()
                         .Name("onem2m_maf_credential_fetch_duration_seconds")
                         .Help("Km fetch latency from the MAF, including retries.")
                         .Register(registry)),
      requests_(prometheus::BuildCounter()
                    .Name("onem2m_maf_requests_total")
                    .Help("MAF procedures over device sessions by path and oneM2M RSC.")
                    .Register(registry)),
      key_retrievals_(prometheus::BuildCounter()
                          .Name("onem2m_maf_key_retrievals_total")
                          .Help("GetKey calls (Key Retrieval by Targets over gRPC) by outcome.")
                          .Register(registry)),
      key_retrieval_seconds_(prometheus::BuildHistogram()
                                 .Name("onem2m_maf_key_retrieval_duration_seconds")
                                 .Help("GetKey latency in the service, by outcome.")
                                 .Register(registry)),
      revocation_write_failures_(
          prometheus::BuildCounter()
              .Name("onem2m_maf_revocation_write_failures_total")
              .Help("Revocation writes the MAF store did not take (each is retried), by path.")
              .Register(registry)),
      handshake_notes_(prometheus::BuildCounter()
                           .Name("onem2m_maf_handshake_notes_total")
                           .Help("Notes of completed handshakes for the admin view (last "
                                 "handshake), by outcome: written, failed (kept), dropped.")
                           .Register(registry)) {
  // Exported at zero from the start, so an alert can use rate() before the first failure.
  for (const char* path : {"watch", "fetch"}) revocation_write_failures_.Add({{"path", path}});
  for (const char* outcome : {"written", "failed", "dropped"}) {
    handshake_notes_.Add({{"outcome", outcome}});
  }
}

void MafMetrics::OnHandshakeNotes(absl::string_view outcome, int64_t n) {
  const std::string label = outcome == "written" || outcome == "failed" || outcome == "dropped"
                                ? std::string(outcome)
                                : "other";
  handshake_notes_.Add({{"outcome", label}}).Increment(static_cast<double>(n));
}

void MafMetrics::OnRevocationWriteFailure(absl::string_view path) {
  const std::string label = path == "watch" || path == "fetch" ? std::string(path) : "other";
  revocation_write_failures_.Add({{"path", label}}).Increment();
}

const std::vector<std::string>& KeyRetrievalOutcomes() {
  static const auto* outcomes = new std::vector<std::string>{
      "ok",          "unauthenticated",   "invalid_argument", "not_found",
      "store_error", "permission_denied", "unseal_failed"};
  return *outcomes;
}

void MafMetrics::OnKeyRetrieval(absl::string_view outcome, absl::Duration latency) {
  const std::vector<std::string>& known = KeyRetrievalOutcomes();
  // Bounded whatever a caller passes: an outcome outside the fixed set is "other".
  const std::string label = std::find(known.begin(), known.end(), outcome) != known.end()
                                ? std::string(outcome)
                                : "other";
  key_retrievals_.Add({{"outcome", label}}).Increment();
  key_retrieval_seconds_.Add({{"outcome", label}}, ops::LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

std::shared_ptr<MefFetcher> MafMetrics::Timed(std::shared_ptr<MefFetcher> inner) {
  return std::make_shared<TimedFetcher>(std::move(inner), this);
}

void MafMetrics::OnFetch(const absl::Status& status, absl::Duration latency) {
  std::string outcome = OutcomeLabel(status);
  fetches_.Add({{"outcome", outcome}}).Increment();
  fetch_seconds_.Add({{"outcome", outcome}}, ops::LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

std::string RouteLabel(const std::string& path) {
  // A device chooses the path, so the label must come from the fixed route table: any path the
  // MAF does not serve is counted as "other" (bounded label values).
  exchange::Request r;
  r.method = exchange::Method::kPost;
  r.path = path;
  absl::StatusOr<exchange::Operation> op = exchange::ResolveOperation(r);
  return op.ok() ? std::string(exchange::PathFor(*op)) : "other";
}

void MafMetrics::OnRequest(const std::string& path, int rsc) {
  requests_.Add({{"path", RouteLabel(path)}, {"rsc", std::to_string(rsc)}}).Increment();
}

}  // namespace onem2m::maf
