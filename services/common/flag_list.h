// File: services/common/flag_list.h
//
// SplitList reads the comma-separated lists many service flags take (addresses, suites, admin
// identities, MEF endpoints).
//
//   SplitList("a:1,b:2,, ") == {"a:1", "b:2"}
#ifndef ONEM2M_SERVICES_COMMON_FLAG_LIST_H_
#define ONEM2M_SERVICES_COMMON_FLAG_LIST_H_

#include <string>
#include <vector>

namespace onem2m::services {

// SplitList splits a comma-separated flag value at the commas, dropping items that are empty or
// only whitespace (the items themselves are not trimmed).
std::vector<std::string> SplitList(const std::string& s);

}  // namespace onem2m::services

#endif  // ONEM2M_SERVICES_COMMON_FLAG_LIST_H_
