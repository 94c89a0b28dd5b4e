// File: services/admin/kek_commands.h
//
// The `rsp_admin kek ...` (MEF) and `rsp_admin maf kek ...` (MAF) commands: KEK rotation through
// the admin APIs' KekStatus and RewrapBatch (docs/operations.md "Rotate the key-encryption key
// (KEK)"). Both servers answer the same messages (proto common.proto), so one implementation
// serves both through KekApi.
//   kek status [--output=json]    rows per KEK version of each sealed column (stdout)
//   kek rewrap [--batch-size=N]   RewrapBatch until no row is left under an old version: one
//                                 progress line per batch on stderr, a summary on stdout. Stopping
//                                 it is safe; running it again resumes.
//   kek retire --version=N        refuses (exit 1) while any row is sealed under N or N is the
//                                 active version; otherwise confirms N may be removed from the
//                                 keyring (the keyring is a file/Secret the CLI does not edit).
#ifndef ONEM2M_SERVICES_ADMIN_KEK_COMMANDS_H_
#define ONEM2M_SERVICES_ADMIN_KEK_COMMANDS_H_

#include <functional>
#include <ostream>
#include <string>

#include "grpcpp/grpcpp.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "services/admin/cli_args.h"

namespace onem2m {
namespace admin {

// KekApi is the two RPCs of one server, and the command prefix to name in messages ("kek" or
// "maf kek").
struct KekApi {
  std::string prefix;
  std::function<grpc::Status(grpc::ClientContext*, const ::onem2m::rsp::v1::KekStatusRequest&,
                             ::onem2m::rsp::v1::KekStatusResponse*)>
      status;
  std::function<grpc::Status(grpc::ClientContext*, const ::onem2m::rsp::v1::RewrapBatchRequest&,
                             ::onem2m::rsp::v1::RewrapBatchResponse*)>
      rewrap;
};

// MefKekApi / MafKekApi bind KekApi to a stub (not owned; must outlive the KekApi).
KekApi MefKekApi(::onem2m::rsp::v1::MefAdminService::StubInterface* stub);
KekApi MafKekApi(::onem2m::rsp::v1::MafAdminService::StubInterface* stub);

// RunKekCommand runs `<prefix> <sub>` and returns the exit code (0 ok, 1 failed or refused,
// 2 usage).
int RunKekCommand(const std::string& sub, const CliArgs& args, const KekApi& api, std::ostream& out,
                  std::ostream& err);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_KEK_COMMANDS_H_
