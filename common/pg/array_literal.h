// File: common/pg/array_literal.h
//
// TextArrayLiteral renders strings as a PostgreSQL array literal ('{"a","b"}') to bind as ONE
// parameter of a prepared statement (`WHERE key = ANY($1::text[])`, `unnest($1::bytea[])`), which
// libpqxx 6 cannot do by itself. Every element is double-quoted with `"` and `\` escaped, so any
// text (commas, braces, quotes, the word NULL) stays one literal element.
// ByteaArrayLiteral does the same for binary strings, each element in bytea hex format.
#ifndef ONEM2M_COMMON_PG_ARRAY_LITERAL_H_
#define ONEM2M_COMMON_PG_ARRAY_LITERAL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace onem2m {
namespace pg {

std::string TextArrayLiteral(const std::vector<std::string>& values);
std::string ByteaArrayLiteral(const std::vector<absl::string_view>& values);

}  // namespace pg
}  // namespace onem2m

#endif  // ONEM2M_COMMON_PG_ARRAY_LITERAL_H_
