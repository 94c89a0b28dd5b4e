#include "enrolee/bootstrap_client.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_derivation.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/exchange_client.h"

namespace onem2m::enrolee {

bool IsRetryable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded;
}

namespace {

exchange::Request EnrolmentPost(std::string body, std::string originator) {
  exchange::Request request;
  request.method = exchange::Method::kPost;
  request.path = std::string(exchange::PathFor(exchange::Operation::kEnrolment));
  request.originator = std::move(originator);
  request.request_id = NewRequestId();
  request.content_type = std::string(exchange::kJsonMediaType);
  request.body = std::move(body);
  return request;
}

// RefusalStatus maps an RSC other than the expected one to a Status with the MEF's debug text.
absl::Status RefusalStatus(const exchange::Response& response) {
  std::string dbg = response.body.is_object() && response.body.contains("m2m:dbg") &&
                            response.body["m2m:dbg"].is_string()
                        ? response.body["m2m:dbg"].get<std::string>()
                        : "";
  absl::StatusCode code = response.rsc == exchange::kRscTargetNotReachable
                              ? absl::StatusCode::kUnavailable  // MEF store down: try later
                              : absl::StatusCode::kFailedPrecondition;
  return absl::Status(code, absl::StrCat("MEF answered RSC ", response.rsc, ": ", dbg));
}

}  // namespace

EnrolmentExchange::~EnrolmentExchange() { CloseSession(); }

void EnrolmentExchange::CloseSession() {
  if (client_ == nullptr) return;
  (void)client_->Close(absl::Now() + absl::Milliseconds(200));
  client_.reset();
}

absl::Status EnrolmentExchange::ReportResult(bool success) {
  if (client_ == nullptr) return absl::FailedPreconditionError("the session is already closed");
  exchange::EnrolmentResult report;
  report.instruction = exchange::InstructionType::kMafEnrolment;
  report.status = success;
  absl::StatusOr<std::string> body = exchange::SerializeEnrolmentResult(report);
  if (!body.ok()) return body.status();
  absl::StatusOr<exchange::Response> response =
      ExchangeOverSession(*client_, transport_, EnrolmentPost(std::move(*body), originator_),
                          mef_fqdn_, absl::Now() + timeout_);
  CloseSession();  // the MEF closes its end after the end-of-exchange answer anyway
  if (!response.ok()) return response.status();
  if (response->rsc != exchange::kRscOk) return RefusalStatus(*response);
  return exchange::CheckEndOfExchangeAnswer(response->body);
}

absl::StatusOr<std::unique_ptr<EnrolmentExchange>> StartEnrolment(const BootstrapOptions& o) {
  absl::Time deadline = absl::Now() + o.attempt_timeout;
  tls::ClientOptions co;
  co.transport = o.transport;
  co.cipher_suites = o.cipher_suites;
  co.tls13 = o.tls13;
  co.psk_identity = o.kpm_id;
  co.psk = o.kpm;
  co.server_name = o.mef_fqdn;
  absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx = tls::PskContext::NewClient(co);
  if (!ctx.ok()) return ctx.status();
  absl::StatusOr<std::unique_ptr<tls::BlockingClient>> client =
      tls::BlockingClient::Connect(*ctx, o.mef_host, static_cast<uint16_t>(o.mef_port), deadline);
  if (!client.ok()) return client.status();
  std::unique_ptr<EnrolmentExchange> x(new EnrolmentExchange());
  x->client_ = std::move(*client);
  x->transport_ = o.transport;
  x->mef_fqdn_ = o.mef_fqdn;
  x->originator_ = o.enrolee_id.value_or(o.kpm_id);
  x->timeout_ = o.attempt_timeout;

  // docs/protocol.md 3: both sides export 48 bytes; KeID and Ke come from the same split.
  absl::StatusOr<SecretBytes> exported =
      x->client_->session().Export(crypto::kBootstrapExporterLabel, crypto::kExportLen);
  if (!exported.ok()) return exported.status();
  absl::StatusOr<crypto::DerivedKey> ke = crypto::KeyFromExport(*exported, o.mef_fqdn);
  if (!ke.ok()) return ke.status();

  exchange::EnrolmentRequest er;
  er.type = exchange::EnrolmentType::kMaf;
  er.enrolee_id = o.enrolee_id;
  if (o.full_form) {
    // Table 8.3.2.1-1: this library can carry out MAF enrolment only.
    er.indications = exchange::EnrolmentIndications{false, true, false};
  }
  absl::StatusOr<std::string> body = exchange::SerializeEnrolmentRequest(er);
  if (!body.ok()) return body.status();
  absl::StatusOr<exchange::Response> response =
      ExchangeOverSession(*x->client_, o.transport, EnrolmentPost(std::move(*body), x->originator_),
                          o.mef_fqdn, deadline);
  if (!response.ok()) return response.status();
  if (response->rsc != exchange::kRscCreated) return RefusalStatus(*response);
  absl::StatusOr<exchange::EnrolmentAnswer> answer = exchange::ParseEnrolmentAnswer(response->body);
  if (!answer.ok()) return answer.status();
  if (answer->ke_id != ke->key_id) {
    return absl::DataLossError("the MEF's KeID differs from the one derived locally");
  }
  BootstrapResult& result = x->result_;
  result.ke_id = ke->key_id;
  result.ke = std::move(ke->key);
  result.enrolee_id = answer->enrolee_id;
  result.maf_id = answer->maf_id;
  result.maf_uri = answer->maf_uri;
  result.maf_uris = answer->maf_uris;
  result.trust_anchors = answer->trust_anchors;
  result.expires_at = answer->expiration_time;
  result.cipher = x->client_->session().cipher_name();
  return x;
}

absl::StatusOr<BootstrapResult> Bootstrap(const BootstrapOptions& o) {
  absl::StatusOr<std::unique_ptr<EnrolmentExchange>> x = StartEnrolment(o);
  if (!x.ok()) return x.status();
  // The success report is optional (TS-0003 8.3.2.1); Bootstrap ends the session here.
  return (*x)->TakeResult();
}

absl::Status RetryWithBackoff(const RetryPolicy& policy,
                              const std::function<absl::Status()>& attempt, int* out_attempts) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  const int attempts = std::max(1, policy.max_attempts);
  absl::Duration cap = std::min(policy.initial_backoff, policy.max_backoff);
  absl::Status last;
  for (int n = 1; n <= attempts; ++n) {
    if (out_attempts != nullptr) *out_attempts = n;
    last = attempt();
    if (last.ok() || !IsRetryable(last) || n == attempts) break;
    // Full jitter: a uniformly random sleep in [0, cap) spreads a fleet's retries out.
    int64_t cap_us = absl::ToInt64Microseconds(cap);
    if (cap_us > 0) {
      std::uniform_int_distribution<int64_t> dist(0, cap_us - 1);
      policy.sleep(absl::Microseconds(dist(rng)));
    }
    cap = std::min(cap * 2, policy.max_backoff);
  }
  return last;
}

absl::StatusOr<BootstrapResult> BootstrapWithRetry(const BootstrapOptions& options,
                                                   const RetryPolicy& policy) {
  absl::StatusOr<BootstrapResult> result = absl::UnknownError("not attempted");
  int attempts = 0;
  absl::Status s = RetryWithBackoff(
      policy,
      [&] {
        result = Bootstrap(options);
        return result.status();
      },
      &attempts);
  if (!s.ok()) return s;
  result->attempts = attempts;
  return result;
}

}  // namespace onem2m::enrolee
