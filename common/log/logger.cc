#include "common/log/logger.h"

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace onem2m {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<bool> g_json{true};
absl::Mutex g_mu;
FILE* g_audit ABSL_GUARDED_BY(g_mu) = nullptr;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string Render(const char* level, absl::string_view event,
                   std::initializer_list<LogField> fields, bool json) {
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  if (!json) {
    std::string line = ts + " " + level + " " + std::string(event);
    for (const auto& [k, v] : fields) line += " " + std::string(k) + "=" + v;
    return line + "\n";
  }
  nlohmann::json j;
  j["ts"] = ts;
  j["level"] = level;
  j["event"] = std::string(event);
  for (const auto& [k, v] : fields) j[std::string(k)] = v;
  // Replacement of invalid UTF-8 keeps a hostile identifier from breaking the log line.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

void SetLogLevel(Level level) { g_level = static_cast<int>(level); }

bool ParseLogLevel(absl::string_view text, Level* out) {
  if (text == "debug")
    *out = Level::kDebug;
  else if (text == "info")
    *out = Level::kInfo;
  else if (text == "warning")
    *out = Level::kWarning;
  else if (text == "error")
    *out = Level::kError;
  else
    return false;
  return true;
}

void SetLogFormat(absl::string_view format) { g_json = format != "text"; }

bool SetAuditPath(const std::string& path) {
  absl::MutexLock lock(&g_mu);
  if (path.empty() || path == "-") {
    g_audit = stdout;
    return true;
  }
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return false;
  g_audit = f;
  return true;
}

void Log(Level level, absl::string_view event, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  std::string line = Render(LevelName(level), event, fields, g_json.load());
  absl::MutexLock lock(&g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Audit(absl::string_view event, std::initializer_list<LogField> fields) {
  std::string line = Render("audit", event, fields, true);
  absl::MutexLock lock(&g_mu);
  FILE* out = g_audit != nullptr ? g_audit : stdout;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace onem2m
