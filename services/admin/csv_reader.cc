#include "services/admin/csv_reader.h"

#include "absl/strings/str_cat.h"

namespace onem2m {
namespace admin {
namespace {
constexpr int kEof = std::char_traits<char>::eof();
}  // namespace

int CsvReader::Get() { return in_->rdbuf()->sbumpc(); }

absl::Status CsvReader::Error(uint64_t line, const char* what) {
  failed_ = absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
  return failed_;
}

absl::StatusOr<bool> CsvReader::ReadRecord(std::vector<std::string>* out_fields) {
  if (!failed_.ok()) return failed_;
  out_fields->clear();
  if (!started_) {
    started_ = true;
    // Skip a UTF-8 byte-order mark, which spreadsheet exports add.
    if (in_->rdbuf()->sgetc() == 0xEF) {
      Get();
      if (Get() != 0xBB || Get() != 0xBF) return Error(1, "malformed byte-order mark");
    }
  }
  int c = Get();
  // Skip empty lines between records.
  while (c == '\n' || c == '\r') {
    if (c == '\r' && Get() != '\n') return Error(line_, "carriage return not followed by LF");
    ++line_;
    c = Get();
  }
  if (c == kEof) return false;
  record_line_ = line_;
  std::string field;
  for (;;) {
    // At the start of a field, `c` holds its first character.
    if (c == '"') {
      const uint64_t quote_line = line_;
      for (;;) {
        c = Get();
        if (c == kEof) return Error(quote_line, "quoted field is not terminated");
        if (c == '"') {
          c = Get();
          if (c != '"') break;  // closing quote; `c` is the character after it
        }
        if (c == '\0') return Error(line_, "NUL byte in field");
        if (c == '\n') ++line_;
        field.push_back(static_cast<char>(c));
        if (field.size() > kMaxCsvFieldLen) return Error(line_, "field longer than 64 KiB");
      }
      if (c != ',' && c != '\n' && c != '\r' && c != kEof) {
        return Error(line_, "character after a closing quote (expected ',' or end of line)");
      }
    } else {
      while (c != ',' && c != '\n' && c != '\r' && c != kEof) {
        if (c == '"') {
          return Error(line_,
                       "quote inside an unquoted field (quote the whole field, "
                       "doubling inner quotes)");
        }
        if (c == '\0') return Error(line_, "NUL byte in field");
        field.push_back(static_cast<char>(c));
        if (field.size() > kMaxCsvFieldLen) return Error(line_, "field longer than 64 KiB");
        c = Get();
      }
    }
    out_fields->push_back(std::move(field));
    field.clear();
    if (c == ',') {
      c = Get();
      continue;
    }
    if (c == '\r' && Get() != '\n') return Error(line_, "carriage return not followed by LF");
    if (c != kEof) ++line_;
    return true;
  }
}

}  // namespace admin
}  // namespace onem2m
