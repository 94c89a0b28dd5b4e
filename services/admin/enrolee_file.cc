#include "services/admin/enrolee_file.h"

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/read_file.h"
#include "common/secret_bytes.h"
#include "nlohmann/json.hpp"
#include "services/admin/csv_reader.h"

namespace onem2m {
namespace admin {
namespace {

namespace v1 = ::onem2m::rsp::v1;

constexpr const char* kRequired[] = {"kpm_id", "kpm_hex", "enrolee_id", "maf_id"};
const std::set<std::string>& KnownColumns() {
  static const auto* known = new std::set<std::string>{
      "kpm_id", "kpm_hex", "enrolee_id", "maf_id", "maf_uri", "lifetime_seconds", "fetch_grants"};
  return *known;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Fields is one row by column name. Values may hold Kpm hex: the owner wipes them.
using Fields = std::map<std::string, std::string>;

}  // namespace

absl::Status ParseFetchGrants(absl::string_view text, v1::EnroleeSpec* spec) {
  for (absl::string_view item : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    const size_t slash = item.rfind('/');
    uint32_t suid = 0;
    if (slash == absl::string_view::npos || slash == 0 ||
        !absl::SimpleAtoi(item.substr(slash + 1), &suid)) {
      return absl::InvalidArgumentError(
          "fetch_grants: items must be <target_id>/<suid>, separated by spaces");
    }
    v1::FetchGrant* g = spec->add_fetch_grants();
    g->set_target_id(std::string(item.substr(0, slash)));
    g->set_suid(suid);
  }
  return absl::OkStatus();
}

namespace {

// BuildRequest turns a row into a request; field-level problems name the column.
absl::Status BuildRequest(const Fields& f, v1::CreateEnroleeRequest* out) {
  auto get = [&f](const char* name) -> const std::string& {
    static const std::string* empty = new std::string();
    auto it = f.find(name);
    return it == f.end() ? *empty : it->second;
  };
  v1::EnroleeSpec* spec = out->mutable_spec();
  spec->set_kpm_id(get("kpm_id"));
  spec->set_enrolee_id(get("enrolee_id"));
  spec->set_maf_id(get("maf_id"));
  spec->set_maf_uri(get("maf_uri"));
  const std::string& lifetime = get("lifetime_seconds");
  if (!lifetime.empty()) {
    int64_t secs = 0;
    if (!absl::SimpleAtoi(lifetime, &secs) || secs <= 0) {
      return absl::InvalidArgumentError(
          "lifetime_seconds: must be a positive whole number of seconds (empty = MEF default)");
    }
    spec->mutable_enrolment_lifetime()->set_seconds(secs);
  }
  absl::Status g = ParseFetchGrants(get("fetch_grants"), spec);
  if (!g.ok()) return g;
  return ParseKpmHex(get("kpm_hex"), out->mutable_kpm());
}

void WipeFields(Fields* f) {
  for (auto& [name, value] : *f) WipeString(&value);
}

class CsvSource final : public EnroleeSource {
 public:
  CsvSource(std::unique_ptr<std::istream> in, std::vector<std::string> columns, uint64_t total)
      : in_(std::move(in)), reader_(in_.get()), columns_(std::move(columns)), total_(total) {}

  // Start skips the header of the second pass.
  absl::Status Start() {
    std::vector<std::string> header;
    absl::StatusOr<bool> more = reader_.ReadRecord(&header);
    if (!more.ok()) return more.status();
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Next(SourceRow* out) override {
    std::vector<std::string> values;
    absl::StatusOr<bool> more = reader_.ReadRecord(&values);
    if (!more.ok()) return more.status();
    if (!*more) return false;
    *out = SourceRow();
    out->row = reader_.record_line();
    Fields f;
    for (size_t i = 0; i < values.size() && i < columns_.size(); ++i) {
      f[columns_[i]] = std::move(values[i]);
    }
    for (std::string& v : values) WipeString(&v);
    out->kpm_id = f["kpm_id"];
    if (values.size() != columns_.size()) {
      out->error = absl::InvalidArgumentError(absl::StrCat(
          "expected ", columns_.size(), " fields as in the header, got ", values.size()));
    } else {
      out->error = BuildRequest(f, &out->request);
    }
    if (!out->error.ok()) out->request.Clear();
    WipeFields(&f);
    return true;
  }

  uint64_t total_rows() const override { return total_; }

 private:
  std::unique_ptr<std::istream> in_;
  CsvReader reader_;
  const std::vector<std::string> columns_;
  const uint64_t total_;
};

// CheckCsv reads the whole CSV once: syntax, header, row count. It keeps no field values.
absl::Status CheckCsv(std::istream* in, std::vector<std::string>* out_columns, uint64_t* out_rows) {
  CsvReader reader(in);
  std::vector<std::string> header;
  absl::StatusOr<bool> more = reader.ReadRecord(&header);
  if (!more.ok()) return more.status();
  if (!*more) return absl::InvalidArgumentError("empty file: no header line");
  std::set<std::string> seen;
  for (std::string& name : header) {
    name = std::string(absl::StripAsciiWhitespace(name));
    if (KnownColumns().count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line 1: unknown column '", name,
          "' (expected "
          "kpm_id,kpm_hex,enrolee_id,maf_id[,maf_uri][,lifetime_seconds][,fetch_grants])"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("line 1: column '", name, "' repeated"));
    }
  }
  for (const char* name : kRequired) {
    if (seen.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("line 1: missing column '", name, "'"));
    }
  }
  uint64_t rows = 0;
  std::vector<std::string> values;
  for (;;) {
    more = reader.ReadRecord(&values);
    for (std::string& v : values) WipeString(&v);
    if (!more.ok()) return more.status();
    if (!*more) break;
    ++rows;
  }
  *out_columns = std::move(header);
  *out_rows = rows;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenCsv(
    const std::function<std::unique_ptr<std::istream>()>& open) {
  std::unique_ptr<std::istream> first = open();
  if (first == nullptr) return absl::NotFoundError("cannot open the file");
  std::vector<std::string> columns;
  uint64_t rows = 0;
  absl::Status s = CheckCsv(first.get(), &columns, &rows);
  if (!s.ok()) return s;
  std::unique_ptr<std::istream> second = open();
  if (second == nullptr) return absl::NotFoundError("cannot re-open the file");
  auto src = std::make_unique<CsvSource>(std::move(second), std::move(columns), rows);
  s = src->Start();
  if (!s.ok()) return s;
  return std::unique_ptr<EnroleeSource>(std::move(src));
}

class JsonSource final : public EnroleeSource {
 public:
  explicit JsonSource(nlohmann::json doc) : doc_(std::move(doc)) {}
  ~JsonSource() override { WipeAll(); }

  absl::StatusOr<bool> Next(SourceRow* out) override {
    if (next_ >= doc_.size()) return false;
    *out = SourceRow();
    nlohmann::json& item = doc_[next_];
    out->row = ++next_;
    out->error = Convert(item, out);
    if (!out->error.ok()) out->request.Clear();
    Wipe(&item);
    return true;
  }

  uint64_t total_rows() const override { return doc_.size(); }

 private:
  static absl::Status Convert(const nlohmann::json& item, SourceRow* out) {
    if (!item.is_object()) return absl::InvalidArgumentError("element is not an object");
    Fields f;
    absl::Status s;
    for (auto it = item.begin(); it != item.end(); ++it) {
      const std::string& key = it.key();
      if (KnownColumns().count(key) == 0) {
        s = absl::InvalidArgumentError(absl::StrCat("unknown key '", key, "'"));
        break;
      }
      if (it->is_null()) continue;
      if (key == "lifetime_seconds" && it->is_number_integer()) {
        f[key] = absl::StrCat(it->get<int64_t>());
      } else if (it->is_string()) {
        f[key] = it->get<std::string>();
      } else {
        s = absl::InvalidArgumentError(absl::StrCat(
            key, ": must be a ", key == "lifetime_seconds" ? "whole number" : "string"));
        break;
      }
    }
    if (item.contains("kpm_id") && item["kpm_id"].is_string()) {
      out->kpm_id = item["kpm_id"].get<std::string>();
    }
    if (s.ok()) {
      for (const char* name : kRequired) {
        if (f.count(name) == 0) {
          s = absl::InvalidArgumentError(absl::StrCat(name, ": required"));
          break;
        }
      }
    }
    if (s.ok()) s = BuildRequest(f, &out->request);
    WipeFields(&f);
    return s;
  }

  // Wipe scrubs the Kpm hex held by the parsed document.
  static void Wipe(nlohmann::json* item) {
    if (item->is_object() && item->contains("kpm_hex") && (*item)["kpm_hex"].is_string()) {
      WipeString(&(*item)["kpm_hex"].get_ref<std::string&>());
    }
  }
  void WipeAll() {
    for (auto& item : doc_) Wipe(&item);
  }

  nlohmann::json doc_;
  size_t next_ = 0;
};

}  // namespace

absl::Status ParseKpmHex(const std::string& hex, std::string* out) {
  out->clear();
  if (hex.empty()) return absl::InvalidArgumentError("kpm_hex: required");
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError("kpm_hex: odd number of hex digits");
  }
  out->resize(hex.size() / 2);
  for (size_t i = 0; i < out->size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      WipeString(out);
      return absl::InvalidArgumentError("kpm_hex: not hexadecimal");
    }
    (*out)[i] = static_cast<char>(hi << 4 | lo);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenCsvText(std::string text) {
  auto shared = std::make_shared<std::string>(std::move(text));
  return OpenCsv([shared]() -> std::unique_ptr<std::istream> {
    return std::make_unique<std::istringstream>(*shared, std::ios::binary);
  });
}

absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenJsonText(const std::string& text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's message ends with "; last read: '<token>'", which could be part of a Kpm: cut
    // it, keeping the line and column.
    std::string what = e.what();
    const size_t cut = what.find("; last read");
    if (cut != std::string::npos) what.resize(cut);
    return absl::InvalidArgumentError(absl::StrCat("JSON: ", what));
  }
  if (!doc.is_array()) {
    return absl::InvalidArgumentError("JSON: the document must be an array of objects");
  }
  return std::unique_ptr<EnroleeSource>(std::make_unique<JsonSource>(std::move(doc)));
}

absl::StatusOr<std::unique_ptr<EnroleeSource>> OpenEnroleeFile(const std::string& path) {
  const std::string lower = absl::AsciiStrToLower(path);
  absl::StatusOr<std::unique_ptr<EnroleeSource>> src;
  if (absl::EndsWith(lower, ".csv")) {
    src = OpenCsv([&path]() -> std::unique_ptr<std::istream> {
      auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
      if (!*in) return nullptr;
      return in;
    });
  } else if (absl::EndsWith(lower, ".json")) {
    // The file holds Kpms: one buffer, wiped once parsed (common/read_file.h).
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    src = OpenJsonText(*text);
    WipeString(&*text);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unknown format (expected a .csv or .json file)"));
  }
  if (!src.ok()) {
    return absl::Status(src.status().code(), absl::StrCat(path, ": ", src.status().message()));
  }
  return src;
}

}  // namespace admin
}  // namespace onem2m
