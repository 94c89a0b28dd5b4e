// File: mef/spec_fetch/spec_fetch_handler.h
//
// SpecFetchHandler answers TS-0003 8.3.2.1's own credential-fetch binding ("Use of Remotely
// Provisioned Credential", docs/protocol.md 6): a RETRIEVE, over HTTPS with mutual TLS (TS-0009:
// RETRIEVE is HTTP GET), of
//
//   GET /fetchCredentials/<KeID>/<SUID> HTTP/1.1
//   X-M2M-Origin: <Enrolment-Target-ID>     must equal a DNS name of the client certificate
//   X-M2M-RI: <request identifier>          echoed in the answer
//   X-M2M-RVI: <release version>            optional; echoed when present
//
// The decision is CredentialFetcher's (credential_fetcher.h): the same authorisation, revocation
// checks and audit record as the gRPC FetchCredential (binding "https"). SUID 21 from the
// enrolee's MAF gets Km (10.3.2); another {Enrolment Target, SUID} the enrolee's record allows gets
// the 10.3.7 key. Answers are JSON with X-M2M-RSC (TS-0004 6.6) and the TS-0009 HTTP status:
//
//   200, RSC 2000, Table 8.3.2.1-5:
//     {"status": true, "credential": "<base64 of the 32-byte key>", "enroleeID": "C-dev-1",
//      "lifetime": "20261129T081500"}       lifetime: the key's end (10.7), TS-0004 m2m:timestamp
//   Table 8.3.2.1-6 otherwise: {"status": false, "errorString": "<reason>"} with
//     RSC 4000 (400) malformed path, SUID, or a missing X-M2M-Origin / X-M2M-RI
//     RSC 4004 (404) unknown, expired, disabled or revoked KeID (one message, as gRPC NOT_FOUND)
//     RSC 4005 (405) a method other than GET
//     RSC 4103 (403) originator is not the certificate's identity, or not allowed the key
//     RSC 5000 (500) store unavailable or an internal fault
//   An unknown path gets RSC 4004 too.
//
// The key leaves wiping storage only in the response body (base64), which the server wipes once
// written; it is never logged.
#ifndef ONEM2M_MEF_SPEC_FETCH_SPEC_FETCH_HANDLER_H_
#define ONEM2M_MEF_SPEC_FETCH_SPEC_FETCH_HANDLER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http/http_message.h"
#include "mef/credential/credential_fetcher.h"

namespace onem2m {
namespace mef {

// kFetchCredentialsPath is the resource path prefix of TS-0003 8.3.2.1.
inline constexpr absl::string_view kFetchCredentialsPath = "/fetchCredentials/";

// FetchTarget is a parsed request target.
struct FetchTarget {
  std::string ke_id;  // percent-decoded, not yet validated (the fetcher does)
  uint32_t suid = 0;
};

// ParseFetchTarget parses "/fetchCredentials/<KeID>/<SUID>" (a query string is ignored).
// kNotFound for another path; kInvalidArgument for a bad percent-escape, an empty KeID, or a SUID
// that is not 1..4294967295 in decimal digits without leading zeros.
absl::StatusOr<FetchTarget> ParseFetchTarget(absl::string_view target);

class SpecFetchHandler {
 public:
  // `fetcher` is not owned and must outlive the handler.
  explicit SpecFetchHandler(CredentialFetcher* fetcher) : fetcher_(fetcher) {}

  // Handle answers one request (see the file comment); `peer_dns_names` are the DNS names of the
  // caller's verified client certificate.
  http::HttpResponse Handle(const http::HttpRequest& request,
                            const std::vector<std::string>& peer_dns_names);

 private:
  CredentialFetcher* const fetcher_;
};

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_SPEC_FETCH_SPEC_FETCH_HANDLER_H_
