#include "services/common/flag_list.h"

#include "absl/strings/str_split.h"

namespace onem2m::services {

std::vector<std::string> SplitList(const std::string& s) {
  return absl::StrSplit(s, ',', absl::SkipWhitespace());
}

}  // namespace onem2m::services
