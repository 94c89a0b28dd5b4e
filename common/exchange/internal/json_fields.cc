#include "common/exchange/internal/json_fields.h"

#include <exception>
#include <set>
#include <stdexcept>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace onem2m {
namespace exchange {
namespace internal {
namespace {

using nlohmann::json;

std::string Name(absl::string_view where, absl::string_view field) {
  return where.empty() ? std::string(field) : absl::StrCat(where, ".", field);
}

const char* TypeName(const json& j) { return j.type_name(); }

absl::Status WrongType(absl::string_view where, absl::string_view field, absl::string_view want,
                       const json& got) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", Name(where, field), "\" must be ",
                                                 want, ", not ", TypeName(got)));
}

absl::Status Missing(absl::string_view where, absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat("required field \"", Name(where, field), "\" is missing"));
}

// Find returns the member or nullptr; obj must be an object.
const json* Find(const json& obj, absl::string_view field) {
  auto it = obj.find(std::string(field));
  return it == obj.end() ? nullptr : &*it;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

absl::StatusOr<json> ParseStrictJson(absl::string_view text) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::vector<bool> is_object;              // open containers, innermost last
  auto callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (is_object.size() >= static_cast<size_t>(kMaxJsonDepth)) {
          throw std::runtime_error(absl::StrCat("JSON nesting deeper than ", kMaxJsonDepth));
        }
        is_object.push_back(event == json::parse_event_t::object_start);
        if (is_object.back()) keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!is_object.empty()) {
          if (is_object.back()) keys.pop_back();
          is_object.pop_back();
        }
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
          throw std::runtime_error(
              absl::StrCat("duplicate JSON key \"", parsed.get<std::string>(), "\""));
        }
        break;
      default:
        break;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end(), callback);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON body must be an object, not ", TypeName(j)));
  }
  return j;
}

std::string DumpJson(const json& j) {
  try {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception&) {
    return "{}";  // unreachable with error_handler_t::replace; keeps the no-throw promise
  }
}

absl::Status RequireObject(const json& j, absl::string_view where) {
  if (j.is_object()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("\"", where, "\" must be an object, not ", TypeName(j)));
}

absl::Status RejectUnknownFields(const json& obj, absl::string_view where,
                                 std::initializer_list<absl::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (absl::string_view a : allowed) known = known || it.key() == a;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field \"", Name(where, it.key()), "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckId(absl::string_view value, absl::string_view where, absl::string_view field) {
  if (value.empty() || value.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", Name(where, field),
                                                   "\" must be 1..", kMaxIdLength, " bytes"));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"", Name(where, field), "\" contains a control character"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadId(const json& obj, absl::string_view where,
                                   absl::string_view field) {
  const json* v = Find(obj, field);
  if (v == nullptr) return Missing(where, field);
  if (!v->is_string()) return WrongType(where, field, "a string", *v);
  std::string s = v->get<std::string>();
  absl::Status st = CheckId(s, where, field);
  if (!st.ok()) return st;
  return s;
}

absl::StatusOr<std::optional<std::string>> ReadOptionalId(const json& obj,
                                                          absl::string_view where,
                                                          absl::string_view field) {
  if (Find(obj, field) == nullptr) return std::optional<std::string>();
  absl::StatusOr<std::string> s = ReadId(obj, where, field);
  if (!s.ok()) return s.status();
  return std::optional<std::string>(std::move(*s));
}

absl::StatusOr<std::vector<std::string>> ReadIdList(const json& obj, absl::string_view where,
                                                    absl::string_view field, size_t min_count,
                                                    size_t max_count) {
  const json* v = Find(obj, field);
  if (v == nullptr) return Missing(where, field);
  if (!v->is_array()) return WrongType(where, field, "an array of strings", *v);
  if (v->size() < min_count || v->size() > max_count) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", Name(where, field), "\" must have ",
                                                   min_count, "..", max_count, " entries"));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    const std::string element = absl::StrCat(field, "[", i, "]");
    if (!e.is_string()) return WrongType(where, element, "a string", e);
    std::string s = e.get<std::string>();
    absl::Status st = CheckId(s, where, element);
    if (!st.ok()) return st;
    if (!seen.insert(s).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"", Name(where, element), "\" repeats \"", s, "\""));
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<int64_t> ReadInt(const json& obj, absl::string_view where, absl::string_view field,
                                int64_t min, int64_t max) {
  const json* v = Find(obj, field);
  if (v == nullptr) return Missing(where, field);
  if (!v->is_number_integer()) return WrongType(where, field, "an integer", *v);
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Name(where, field), "\" must be in ", min, "..", max));
  }
  const int64_t n = v->get<int64_t>();
  if (n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Name(where, field), "\" must be in ", min, "..", max));
  }
  return n;
}

std::string FormatM2mTime(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%S", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseM2mTime(absl::string_view text) {
  auto fail = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "time \"", absl::CHexEscape(text),
        "\" is not an m2m:timestamp YYYYMMDDThhmmss[,ffffff] (UTC), e.g. 20261129T081500"));
  };
  absl::string_view rest = text;
  // A trailing Z is the one zone a sender could mean; UTC is implied anyway, so it is tolerated
  // on input and never written.
  if (!rest.empty() && rest.back() == 'Z') rest.remove_suffix(1);
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (rest.size() < 15 || rest[8] != 'T') return fail();
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !is_digit(rest[i])) return fail();
  }
  absl::Duration fraction;
  if (rest.size() > 15) {
    // TS-0004 6.3.3: a comma and 1..6 digits; ISO 8601 also allows a full stop.
    if (rest[15] != ',' && rest[15] != '.') return fail();
    const absl::string_view digits = rest.substr(16);
    if (digits.empty() || digits.size() > 6) return fail();
    int64_t micros = 0;
    for (size_t i = 0; i < 6; ++i) {
      if (i < digits.size() && !is_digit(digits[i])) return fail();
      micros = micros * 10 + (i < digits.size() ? digits[i] - '0' : 0);
    }
    fraction = absl::Microseconds(micros);
  }
  auto field = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (rest[i] - '0');
    return v;
  };
  // absl::ParseTime's %Y is greedy over "YYYYMMDD", so the fields are cut out by position.
  const int year = field(0, 4), month = field(4, 2), day = field(6, 2);
  const int hour = field(9, 2), minute = field(11, 2), second = field(13, 2);
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // CivilSecond normalises out-of-range fields (month 13, 30 February, second 60); refuse them.
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute || civil.second() != second) {
    return fail();
  }
  absl::Time t = absl::FromCivil(civil, absl::UTCTimeZone());
  // Whole seconds only past this point: a fraction rounds up to the next second, which TS-0004
  // 6.3.3 allows for an expiration time, so a time never ends before the sender meant.
  if (fraction > absl::ZeroDuration()) t += absl::Seconds(1);
  return t;
}

absl::StatusOr<absl::Time> ReadTime(const json& obj, absl::string_view where,
                                    absl::string_view field) {
  const json* v = Find(obj, field);
  if (v == nullptr) return Missing(where, field);
  if (!v->is_string()) return WrongType(where, field, "a string", *v);
  absl::StatusOr<absl::Time> t = ParseM2mTime(v->get<std::string>());
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Name(where, field), "\": ", t.status().message()));
  }
  return t;
}

absl::StatusOr<std::optional<absl::Time>> ReadOptionalTime(const json& obj,
                                                           absl::string_view where,
                                                           absl::string_view field) {
  if (Find(obj, field) == nullptr) return std::optional<absl::Time>();
  absl::StatusOr<absl::Time> t = ReadTime(obj, where, field);
  if (!t.ok()) return t.status();
  return std::optional<absl::Time>(*t);
}

absl::Status CheckKey(const SecretBytes& key, absl::string_view where, absl::string_view field) {
  if (key.size() < 16 || key.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Name(where, field), "\" must hold 16..64 bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> ReadKey(const json& obj, absl::string_view where,
                                    absl::string_view field) {
  const json* v = Find(obj, field);
  if (v == nullptr) return Missing(where, field);
  if (!v->is_string()) return WrongType(where, field, "a base64 string", *v);
  const std::string& text = v->get_ref<const std::string&>();
  // absl::Base64Unescape is lenient (whitespace, missing padding); insist on the canonical form so
  // one key has exactly one spelling.
  bool ok = !text.empty() && text.size() % 4 == 0;
  for (size_t i = 0; ok && i < text.size(); ++i) {
    const bool pad_ok = text[i] == '=' && i + 2 >= text.size() &&
                        (i + 1 == text.size() || text[i + 1] == '=');
    ok = IsBase64Char(text[i]) || pad_ok;
  }
  std::string raw;
  if (ok) ok = absl::Base64Unescape(text, &raw);
  if (ok) {
    std::string again = absl::Base64Escape(raw);
    ok = again == text;
    WipeString(&again);
  }
  if (!ok) {
    WipeString(&raw);
    return absl::InvalidArgumentError(absl::StrCat(
        "field \"", Name(where, field), "\" must be canonical padded base64 (RFC 4648 section 4)"));
  }
  SecretBytes key = SecretBytes::Copy(raw);
  WipeString(&raw);
  absl::Status st = CheckKey(key, where, field);
  if (!st.ok()) return st;
  return key;
}

std::string EncodeKey(const SecretBytes& key) { return absl::Base64Escape(key.Reveal()); }

}  // namespace internal
}  // namespace exchange
}  // namespace onem2m
