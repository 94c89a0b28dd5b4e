// File: common/log/logger.h
//
// Structured logging: one JSON object per line with time, level, event and fields. The operational
// log goes to stderr; the audit stream (who fetched or registered which key identifier, and the
// outcome) goes to its own sink (a file or stdout), kept apart so it can be retained and shipped
// separately. Neither ever carries key bytes: fields are strings, and SecretBytes has no conversion
// to string.
//
//   Log(Level::kInfo, "enrolment_done", {{"ke_id", ke_id}, {"transport", "tls"}});
//   Audit("credential_fetch", {{"maf", maf_id}, {"ke_id", ke_id}, {"outcome", "ok"}});
#ifndef ONEM2M_COMMON_LOG_LOGGER_H_
#define ONEM2M_COMMON_LOG_LOGGER_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace onem2m {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogField = std::pair<absl::string_view, std::string>;

// SetLogLevel drops records below `level`. SetLogFormat chooses "json" (default) or "text".
void SetLogLevel(Level level);
bool ParseLogLevel(absl::string_view text, Level* out);
void SetLogFormat(absl::string_view format);

// SetAuditPath sends audit records to `path` (appended; "-" or "" = stdout).
bool SetAuditPath(const std::string& path);

// Log writes one operational record to stderr. Thread-safe.
void Log(Level level, absl::string_view event, std::initializer_list<LogField> fields = {});

// LogEnabled tells whether Log would write a record of `level`: a hot path checks it before
// building the fields of a debug record (each field is a std::string).
bool LogEnabled(Level level);

// Audit writes one audit record. Thread-safe; flushed per record.
void Audit(absl::string_view event, std::initializer_list<LogField> fields);

// AuditBatch writes several audit records with one write and flush, for a thread that answers a
// batch of requests together (the credential fetch): call Write before answering them, so no
// answer leaves before its record. The destructor writes whatever is left. Not thread-safe.
class AuditBatch {
 public:
  AuditBatch() = default;
  AuditBatch(const AuditBatch&) = delete;
  AuditBatch& operator=(const AuditBatch&) = delete;
  ~AuditBatch() { Write(); }

  void Add(absl::string_view event, std::initializer_list<LogField> fields);
  void Write();

 private:
  std::string lines_;
};

}  // namespace onem2m

#endif  // ONEM2M_COMMON_LOG_LOGGER_H_
