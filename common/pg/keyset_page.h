// File: common/pg/keyset_page.h
//
// TakePage is the second half of keyset pagination over PostgreSQL: the query asked for
// page_size + 1 rows ordered by key, so the extra row only tells that another page exists. Rows
// are converted in order; the returned key is the last one on this page when more follow, else "".
// Callers encode it into their page token (common/paging/page_token.h or a store's own).
//
//   pqxx::result r = n.exec_params("... WHERE key > $1 ORDER BY key LIMIT $2", after, page + 1);
//   absl::StatusOr<std::string> next = TakePage(r, page, ClientFromRow,
//       [](const MafClient& c) { return c.maf_client_reg_id; }, &out.clients);
#ifndef ONEM2M_COMMON_PG_KEYSET_PAGE_H_
#define ONEM2M_COMMON_PG_KEYSET_PAGE_H_

#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace onem2m::pg {

// TakePage appends up to `page_size` converted rows of `rows` to `out`. `convert` returns T or
// absl::StatusOr<T>; its first error is returned. `key_of` names an item's pagination key.
template <typename T, typename Convert, typename KeyOf>
absl::StatusOr<std::string> TakePage(const pqxx::result& rows, int page_size, Convert convert,
                                     KeyOf key_of, std::vector<T>* out) {
  int taken = 0;
  for (const pqxx::row& row : rows) {
    if (taken == page_size) return std::string(key_of(out->back()));
    auto item = convert(row);
    if constexpr (std::is_same_v<decltype(item), absl::StatusOr<T>>) {
      if (!item.ok()) return item.status();
      out->push_back(*std::move(item));
    } else {
      out->push_back(std::move(item));
    }
    ++taken;
  }
  return std::string();
}

}  // namespace onem2m::pg

#endif  // ONEM2M_COMMON_PG_KEYSET_PAGE_H_
