#include "services/common/mef_endpoints.h"

#include <sys/socket.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/key_id.h"
#include "common/net/socket_util.h"
#include "services/common/flag_list.h"

namespace onem2m::services {
namespace {

constexpr char kOption[] = "mef_endpoints";

// ReplicaTarget turns "a:1|b:2" into one gRPC target naming every replica, so the channel's
// round_robin policy (maf::MefChannelArguments) spreads fetches over them.
absl::StatusOr<std::string> ReplicaTarget(const std::string& target) {
  std::vector<std::string> replicas = absl::StrSplit(target, '|', absl::SkipEmpty());
  if (replicas.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", target, "': replicas joined with '|' must be numeric ip:port"));
  }
  std::vector<std::string> addresses;
  int family = AF_UNSPEC;
  for (const std::string& r : replicas) {
    absl::StatusOr<net::SocketAddress> a = net::ParseHostPort(r);
    if (!a.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", r, "': replicas joined with '|' must be numeric ip:port"));
    }
    // gRPC's ipv4:/ipv6: targets hold one family; "localhost" is written as 127.0.0.1.
    if (family != AF_UNSPEC && a->family() != family) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", target, "': replicas joined with '|' must all be IPv4 or all IPv6"));
    }
    family = a->family();
    addresses.push_back(a->ToString());
  }
  return absl::StrCat(family == AF_INET6 ? "ipv6:" : "ipv4:", absl::StrJoin(addresses, ","));
}

}  // namespace

absl::StatusOr<MefEndpoint> ParseMefEndpoint(const std::string& entry) {
  std::vector<std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
  if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", entry, "': entries must be mef_fqdn=target[@tls_name]"));
  }
  MefEndpoint ep;
  ep.mef_fqdn = kv[0];
  if (absl::Status s = crypto::ValidateFqdn(ep.mef_fqdn); !s.ok()) return s;
  std::string target = kv[1];
  const size_t at = target.rfind('@');
  if (at != std::string::npos) {
    ep.tls_name = target.substr(at + 1);
    target = target.substr(0, at);
  }
  if (target.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", entry, "': entries must be mef_fqdn=target[@tls_name]"));
  }
  if (target.find('|') != std::string::npos) {
    absl::StatusOr<std::string> replicas = ReplicaTarget(target);
    if (!replicas.ok()) return replicas.status();
    target = *std::move(replicas);
  }
  ep.target = std::move(target);
  return ep;
}

OptionOr<std::vector<MefEndpoint>> ParseMefEndpoints(const std::string& value) {
  std::vector<MefEndpoint> out;
  std::set<std::string> seen;
  for (const std::string& entry : SplitList(value)) {
    absl::StatusOr<MefEndpoint> ep = ParseMefEndpoint(entry);
    if (!ep.ok()) return OptionError{kOption, ep.status()};
    if (!seen.insert(ep->mef_fqdn).second) {
      return OptionError{kOption, absl::InvalidArgumentError(absl::StrCat(
                                      ep->mef_fqdn, " is listed twice; join replicas with '|'"))};
    }
    out.push_back(*std::move(ep));
  }
  if (out.empty()) return OptionError{kOption, absl::InvalidArgumentError("required")};
  return out;
}

}  // namespace onem2m::services
