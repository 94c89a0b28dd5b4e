#include "mef/spec_fetch/spec_fetch_handler.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/exchange/internal/json_fields.h"
#include "common/exchange/rsc.h"
#include "common/log/logger.h"
#include "common/secret_bytes.h"
#include "nlohmann/json.hpp"

namespace onem2m {
namespace mef {
namespace {

constexpr absl::string_view kBinding = "https";
// Longest header value echoed back (X-M2M-RI, X-M2M-RVI); longer ones are refused.
constexpr size_t kMaxEchoLen = 256;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// PercentDecode decodes RFC 3986 percent-escapes of one path segment.
absl::StatusOr<std::string> PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) {
      return absl::InvalidArgumentError("bad percent-escape in the path");
    }
    const int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent-escape in the path");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// ParseSuid accepts 1..4294967295 as decimal digits without leading zeros (docs/protocol.md 5:
// the SUID as it appears in the URI is the one the 10.3.7 derivation hashes).
absl::StatusOr<uint32_t> ParseSuid(absl::string_view digits) {
  if (digits.empty() || digits.size() > 10 || digits[0] == '0') {
    return absl::InvalidArgumentError("SUID must be 1..4294967295 in decimal digits");
  }
  for (char c : digits) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("SUID must be decimal digits");
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(digits, &v) || v > 0xFFFFFFFFull) {
    return absl::InvalidArgumentError("SUID must be 1..4294967295");
  }
  return static_cast<uint32_t>(v);
}

// Answer builds a response with the oneM2M headers: X-M2M-RSC, and X-M2M-RI / X-M2M-RVI echoed.
http::HttpResponse Answer(int rsc, std::string body, const std::string* ri, const std::string* rvi) {
  http::HttpResponse r;
  r.status = exchange::HttpStatusForRsc(rsc);
  r.headers.push_back({"X-M2M-RSC", absl::StrCat(rsc)});
  if (ri != nullptr) r.headers.push_back({"X-M2M-RI", *ri});
  if (rvi != nullptr) r.headers.push_back({"X-M2M-RVI", *rvi});
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::move(body);
  return r;
}

// Failure is Table 8.3.2.1-6.
http::HttpResponse Failure(int rsc, absl::string_view reason, const std::string* ri,
                           const std::string* rvi) {
  nlohmann::json j = {{"status", false}, {"errorString", std::string(reason)}};
  return Answer(rsc, j.dump(), ri, rvi);
}

// Echoable is true for a header value we may copy into the answer (printable ASCII, bounded).
bool Echoable(const std::string* v) {
  if (v == nullptr || v->empty() || v->size() > kMaxEchoLen) return false;
  for (char c : *v) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<FetchTarget> ParseFetchTarget(absl::string_view target) {
  const size_t query = target.find('?');
  if (query != absl::string_view::npos) target = target.substr(0, query);
  if (!absl::ConsumePrefix(&target, kFetchCredentialsPath)) {
    return absl::NotFoundError("no such resource");
  }
  const size_t slash = target.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError("path must be /fetchCredentials/<KeID>/<SUID>");
  }
  absl::StatusOr<std::string> ke_id = PercentDecode(target.substr(0, slash));
  if (!ke_id.ok()) return ke_id.status();
  if (ke_id->empty()) return absl::InvalidArgumentError("empty KeID in the path");
  absl::StatusOr<uint32_t> suid = ParseSuid(target.substr(slash + 1));
  if (!suid.ok()) return suid.status();
  return FetchTarget{*std::move(ke_id), *suid};
}

http::HttpResponse SpecFetchHandler::Handle(const http::HttpRequest& request,
                                            const std::vector<std::string>& peer_dns_names) {
  const std::string* ri = http::FindHeader(request.headers, "X-M2M-RI");
  const std::string* rvi = http::FindHeader(request.headers, "X-M2M-RVI");
  const std::string* origin = http::FindHeader(request.headers, "X-M2M-Origin");
  if (!Echoable(ri)) ri = nullptr;
  if (!Echoable(rvi)) rvi = nullptr;

  absl::StatusOr<FetchTarget> target = ParseFetchTarget(request.target);
  if (target.status().code() == absl::StatusCode::kNotFound) {
    return Failure(exchange::kRscNotFound, "no such resource", ri, rvi);
  }
  if (request.method != "GET") {
    return Failure(exchange::kRscOperationNotAllowed,
                   "fetchCredentials is retrieved with GET (RETRIEVE)", ri, rvi);
  }

  // Everything below is a fetch attempt: it gets the fetch's audit record, even when refused here.
  FetchAsk ask;
  ask.names = peer_dns_names;
  if (target.ok()) {
    ask.ke_id = target->ke_id;
    ask.suid = target->suid;
  }
  if (origin != nullptr) ask.target_id = *origin;
  absl::Status refused;
  if (!target.ok()) {
    refused = target.status();
  } else if (ri == nullptr) {
    refused = absl::InvalidArgumentError("X-M2M-RI is required (printable, at most 256 bytes)");
  } else if (origin == nullptr || origin->empty()) {
    refused = absl::InvalidArgumentError("X-M2M-Origin is required");
  }
  if (!refused.ok()) {
    FetchResult r = CredentialFetcher::Prepare(ask);
    r.outcome = FetchOutcome::kInvalid;
    {
      AuditBatch audit;
      CredentialFetcher::Audit(ask, r, kBinding, &audit);
    }
    fetcher_->Count(r.outcome, absl::ZeroDuration());
    return Failure(exchange::kRscBadRequest, refused.message(), ri, rvi);
  }

  FetchResult r = fetcher_->FetchOne(ask, kBinding);
  if (!r.status.ok()) {
    return Failure(exchange::RscForStatus(r.status), r.status.message(), ri, rvi);
  }
  // Table 8.3.2.1-5. The base64 copy of the key lives only in `credential` and the body.
  std::string credential = absl::Base64Escape(r.key.Reveal());
  r.key = SecretBytes();
  nlohmann::json j = {
      {"status", true},
      {"credential", credential},
      {"enroleeID", r.enrolee_id},
      {"lifetime", exchange::internal::FormatM2mTime(r.expires_at)},
  };
  WipeString(&credential);
  std::string body = j.dump();
  WipeString(j.at("credential").get_ptr<std::string*>());
  return Answer(exchange::kRscOk, std::move(body), ri, rvi);
}

}  // namespace mef
}  // namespace onem2m
