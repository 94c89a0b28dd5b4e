// File: services/admin/csv_reader.h
//
// CsvReader is a strict RFC 4180 reader for enrolee files. Debian ships C CSV libraries
// (libcsv-dev, libfccp-dev), but neither is in //third_party and the format needed is small, so
// this reader implements exactly RFC 4180 and refuses everything else, because a lenient guess
// about a malformed key file could provision a wrong Kpm:
// - fields separated by ',', records by CRLF or LF; the last record may lack a line break;
// - a field is either unquoted (no '"', CR or LF inside) or wholly quoted, where '""' is a quote
//   and commas and line breaks are data;
// - refused: a quote inside an unquoted field, anything but ',' or a line break after a closing
//   quote, an unterminated quote, a bare CR, a NUL byte, a field over 64 KiB;
// - tolerated: a UTF-8 byte-order mark at the start, and completely empty lines (skipped).
// Errors name the 1-based line. After an error the reader stays failed (no resynchronisation).
//
//   std::ifstream in(path, std::ios::binary);
//   CsvReader reader(&in);
//   std::vector<std::string> fields;
//   for (;;) {
//     absl::StatusOr<bool> more = reader.ReadRecord(&fields);
//     if (!more.ok()) return more.status();     // "line 7: quote inside an unquoted field"
//     if (!*more) break;
//     ... reader.record_line() ...
//   }
#ifndef ONEM2M_SERVICES_ADMIN_CSV_READER_H_
#define ONEM2M_SERVICES_ADMIN_CSV_READER_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace onem2m {
namespace admin {

inline constexpr size_t kMaxCsvFieldLen = 64 * 1024;

class CsvReader {
 public:
  // `in` is not owned; open it in binary mode so CRLF reaches the reader unchanged.
  explicit CsvReader(std::istream* in) : in_(in) {}

  // ReadRecord replaces `out_fields` with the next record's fields and returns true, false at
  // the end of input, or INVALID_ARGUMENT "line N: ..." for malformed input.
  absl::StatusOr<bool> ReadRecord(std::vector<std::string>* out_fields);

  // record_line is the line on which the last record returned began.
  uint64_t record_line() const { return record_line_; }

 private:
  int Get();
  absl::Status Error(uint64_t line, const char* what);

  std::istream* const in_;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
  bool started_ = false;
  absl::Status failed_;
};

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_CSV_READER_H_
