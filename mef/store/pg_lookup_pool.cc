#include "mef/store/pg_lookup_pool.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace onem2m::mef {
namespace {

bool IsUri(absl::string_view conninfo) {
  return absl::StartsWith(conninfo, "postgres://") || absl::StartsWith(conninfo, "postgresql://");
}

// SetsOptions: whether the operator's conninfo names libpq's `options` parameter (a keyword
// followed by '=' after optional spaces, or a URI query parameter).
bool SetsOptions(absl::string_view conninfo) {
  if (IsUri(conninfo)) {
    return absl::StrContains(conninfo, "?options=") || absl::StrContains(conninfo, "&options=");
  }
  size_t at = 0;
  while ((at = conninfo.find("options", at)) != absl::string_view::npos) {
    const bool starts_word = at == 0 || conninfo[at - 1] == ' ' || conninfo[at - 1] == '\t';
    size_t next = at + 7;
    while (next < conninfo.size() && (conninfo[next] == ' ' || conninfo[next] == '\t')) ++next;
    if (starts_word && next < conninfo.size() && conninfo[next] == '=') return true;
    at += 7;
  }
  return false;
}

}  // namespace

std::string WithSessionSetting(const std::string& conninfo, absl::string_view name,
                               absl::string_view value) {
  if (SetsOptions(conninfo)) return conninfo;
  if (IsUri(conninfo)) {
    return absl::StrCat(conninfo, absl::StrContains(conninfo, "?") ? "&" : "?",
                        "options=-c%20", name, "%3D", value);
  }
  return absl::StrCat(conninfo, " options='-c ", name, "=", value, "'");
}

pg::PoolOptions LookupPoolOptions(const pg::PoolOptions& store, int connections,
                                  std::pair<std::string, std::string> statement) {
  pg::PoolOptions o = store;
  o.conninfo = WithSessionSetting(store.conninfo, "plan_cache_mode", "force_generic_plan");
  o.max_size = std::max(1, connections);
  o.prepare = {std::move(statement)};
  return o;
}

}  // namespace onem2m::mef
