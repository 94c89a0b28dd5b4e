#include "common/pg/array_literal.h"

namespace onem2m {
namespace pg {
namespace {

void AppendQuoted(absl::string_view v, std::string* out) {
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendQuoted(values[i], &out);
  }
  out.push_back('}');
  return out;
}

std::string ByteaArrayLiteral(const std::vector<absl::string_view>& values) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    // "\\x..." : the array parser turns \\ into \, and bytea input reads \x as hex format.
    out.append("\"\\\\x");
    for (unsigned char c : values[i]) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace pg
}  // namespace onem2m
