// File: services/admin/version.h
//
// kRspAdminVersion is what `rsp_admin --version` prints: the one place to switch to a stamped
// build-info value later.
#ifndef ONEM2M_SERVICES_ADMIN_VERSION_H_
#define ONEM2M_SERVICES_ADMIN_VERSION_H_

namespace onem2m {
namespace admin {

inline constexpr char kRspAdminVersion[] = "rsp_admin 0.1.0";

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_VERSION_H_
