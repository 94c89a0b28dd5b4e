#include "common/log/logger.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
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

// AppendTimestamp appends "2026-11-29T12:00:00.123Z". The part up to the seconds is formatted once
// per second per thread: absl::FormatTime is the costliest step of a record.
void AppendTimestamp(std::string* out) {
  struct Cache {
    int64_t second = -1;
    std::string text;
  };
  thread_local Cache cache;
  const absl::Time now = absl::Now();
  const int64_t ms = absl::ToUnixMillis(now);
  const int64_t second = ms / 1000;
  if (second != cache.second) {
    cache.second = second;
    cache.text =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second), absl::UTCTimeZone());
  }
  const int milli = static_cast<int>(ms % 1000);
  absl::StrAppend(out, cache.text, ".", absl::Dec(milli, absl::kZeroPad3), "Z");
}

// AppendJsonString appends `s` as a JSON string; invalid UTF-8 is replaced, so a hostile identifier
// cannot break the line.
// Nearly every field (identifiers, outcomes, event names) is printable ASCII with nothing to
// escape, which JSON carries as is: such a string is copied between quotes, byte for byte what the
// library writes, without building a json value and a second string per field (the credential fetch
// writes an audit record per call). Anything else goes through the library.
void AppendJsonString(absl::string_view s, std::string* out) {
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (plain) {
    out->push_back('"');
    out->append(s.data(), s.size());
    out->push_back('"');
    return;
  }
  out->append(nlohmann::json(std::string(s))
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// AppendRecord appends one record and its newline. JSON: an object with ts, level, event and then
// the fields in their order.
void AppendRecord(const char* level, absl::string_view event,
                  std::initializer_list<LogField> fields, bool json, std::string* out) {
  if (!json) {
    AppendTimestamp(out);
    absl::StrAppend(out, " ", level, " ", event);
    for (const auto& [k, v] : fields) absl::StrAppend(out, " ", k, "=", v);
    out->push_back('\n');
    return;
  }
  out->append("{\"ts\":\"");
  AppendTimestamp(out);
  absl::StrAppend(out, "\",\"level\":\"", level, "\",\"event\":");
  AppendJsonString(event, out);
  for (const auto& [k, v] : fields) {
    out->push_back(',');
    AppendJsonString(k, out);
    out->push_back(':');
    AppendJsonString(v, out);
  }
  out->append("}\n");
}

void WriteAudit(absl::string_view lines) {
  if (lines.empty()) return;
  absl::MutexLock lock(&g_mu);
  FILE* out = g_audit != nullptr ? g_audit : stdout;
  std::fwrite(lines.data(), 1, lines.size(), out);
  std::fflush(out);
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

bool LogEnabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void Log(Level level, absl::string_view event, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  std::string line;
  AppendRecord(LevelName(level), event, fields, g_json.load(), &line);
  absl::MutexLock lock(&g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Audit(absl::string_view event, std::initializer_list<LogField> fields) {
  std::string line;
  AppendRecord("audit", event, fields, true, &line);
  WriteAudit(line);
}

void AuditBatch::Add(absl::string_view event, std::initializer_list<LogField> fields) {
  AppendRecord("audit", event, fields, true, &lines_);
}

void AuditBatch::Write() {
  WriteAudit(lines_);
  lines_.clear();
}

}  // namespace onem2m
