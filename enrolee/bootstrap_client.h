// File: enrolee/bootstrap_client.h
//
// The Enrolee's side of remote security provisioning with a pre-provisioned key (docs/protocol.md
// 2-4): TLS-PSK or DTLS-PSK to the MEF with KpmID/Kpm, export Ke and KeID, send the MAF-enrolment
// request, and accept the answer only if its KeID equals the one computed locally. With a retry
// policy, failures that may pass (network, MEF busy or its database down) are retried with
// jittered exponential backoff, so a fleet does not stampede a recovering MEF; a wrong key is not.
//
//   BootstrapOptions o;
//   o.mef_host = "127.0.0.1"; o.mef_port = 8443; o.mef_fqdn = "mef.example.com";
//   o.kpm_id = "device-0001"; o.kpm = SecretBytes::Copy(...);
//   absl::StatusOr<BootstrapResult> r = BootstrapWithRetry(o, RetryPolicy());
//   // r->ke_id, r->ke (secret), r->maf_id, r->enrolee_id, r->expires_at
#ifndef ONEM2M_ENROLEE_BOOTSTRAP_CLIENT_H_
#define ONEM2M_ENROLEE_BOOTSTRAP_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/exchange/enrolment_messages.h"
#include "common/secret_bytes.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_config.h"

namespace onem2m::enrolee {

struct BootstrapOptions {
  std::string mef_host;  // IP literal or name
  int mef_port = 8443;
  std::string mef_fqdn;  // SNI and the KeID suffix
  tls::Transport transport = tls::Transport::kTls;
  std::string kpm_id;
  SecretBytes kpm;
  std::optional<std::string> enrolee_id;  // sent for the MEF to check, when configured
  // full_form sends TS-0003 Table 8.3.2.1-1's indications (MAF enrolment only) and expects the
  // Table 8.3.2.1-3 answer with the MAF URIs; false sends the project's short form.
  bool full_form = false;
  std::vector<tls::CipherSuite> cipher_suites;  // empty: defaults
  // TLS only: offer TLS 1.3 external PSK, RFC 9258 importer on by default (docs/protocol.md 2a).
  tls::Tls13Options tls13;
  absl::Duration attempt_timeout = absl::Seconds(10);
};

struct BootstrapResult {
  std::string ke_id;
  SecretBytes ke;
  std::string enrolee_id;
  std::string maf_id;
  std::optional<std::string> maf_uri;         // short form
  std::optional<exchange::MafUris> maf_uris;  // full form (Table 8.3.2.1-3)
  std::vector<std::string> trust_anchors;     // full form, when the MEF sends any
  absl::Time expires_at;
  std::string cipher;
  int attempts = 1;
};

struct RetryPolicy {
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  // Sleep is injectable so tests need not wait.
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) { absl::SleepFor(d); };
};

// Bootstrap runs one attempt. Errors: kUnauthenticated (handshake refused: wrong Kpm or unknown
// KpmID, indistinguishable by design), kUnavailable / kDeadlineExceeded (network, MEF busy or its
// store down, including a handshake the MEF aborted with internal_error because it could not look
// the KpmID up, docs/protocol.md 2: retryable), kFailedPrecondition (the MEF refused the request:
// RSC in the message), kDataLoss (the answer's KeID differs from ours).
absl::StatusOr<BootstrapResult> Bootstrap(const BootstrapOptions& options);

// EnrolmentExchange is an answered enrolment whose session to the MEF is still open, so the
// device can report the outcome of its MAF Client Registration on it (TS-0003 8.3.2.1: "the
// Enrolee shall send a message to the MEF indicating success"; the MEF answers with the end of the
// enrolment exchange and closes the session). Destroying it without ReportResult just closes the
// session, which the MEF accepts as well (the report is optional). Not thread-safe. Mind the
// MEF's idle timeout (30 s by default) between the answer and the report.
class EnrolmentExchange {
 public:
  ~EnrolmentExchange();
  EnrolmentExchange(const EnrolmentExchange&) = delete;
  EnrolmentExchange& operator=(const EnrolmentExchange&) = delete;

  const BootstrapResult& result() const { return result_; }
  BootstrapResult TakeResult() { return std::move(result_); }

  // ReportResult sends {"instructionType":"mafEnrolment","status":success}, checks the MEF's
  // end-of-exchange answer and closes the session. Errors: kUnavailable / kDeadlineExceeded
  // (session gone), kFailedPrecondition (the MEF refused: RSC in the message), kInvalidArgument
  // (not the end-of-exchange answer). Call at most once.
  absl::Status ReportResult(bool success);

 private:
  friend absl::StatusOr<std::unique_ptr<EnrolmentExchange>> StartEnrolment(const BootstrapOptions&);
  EnrolmentExchange() = default;
  void CloseSession();

  std::unique_ptr<tls::BlockingClient> client_;
  tls::Transport transport_ = tls::Transport::kTls;
  std::string mef_fqdn_;
  std::string originator_;
  absl::Duration timeout_;
  BootstrapResult result_;
};

// StartEnrolment runs one attempt like Bootstrap but leaves the session open; same errors.
absl::StatusOr<std::unique_ptr<EnrolmentExchange>> StartEnrolment(const BootstrapOptions& options);

// BootstrapWithRetry retries the retryable errors with full-jitter exponential backoff.
absl::StatusOr<BootstrapResult> BootstrapWithRetry(const BootstrapOptions& options,
                                                   const RetryPolicy& policy);

// IsRetryable tells which Bootstrap errors are worth another attempt.
bool IsRetryable(const absl::Status& status);

// RetryWithBackoff runs `attempt` until it succeeds, fails with an error that is not IsRetryable,
// or policy.max_attempts attempts were made, sleeping a full-jitter exponential backoff in between;
// returns the last status and sets `*out_attempts` (if not null) to the attempts made. Used for the
// MEF (BootstrapWithRetry) and the MAF (MafClient::ConnectWithRetry): a server that could not look
// the key up aborts with internal_error, which is kUnavailable here (docs/protocol.md 2).
absl::Status RetryWithBackoff(const RetryPolicy& policy,
                              const std::function<absl::Status()>& attempt,
                              int* out_attempts = nullptr);

}  // namespace onem2m::enrolee

#endif  // ONEM2M_ENROLEE_BOOTSTRAP_CLIENT_H_
