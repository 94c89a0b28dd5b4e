// File: services/admin/maf_command_output.h
//
// How the `rsp_admin maf ...` commands (maf_commands.h) print: the MAF's state and transport
// names, one client, credential or key record as text (identifiers and metadata only: key values
// are never part of the API), and the list commands' output options (--output, paging) and
// closing lines (JSON of the merged pages, count and next_page_token on stderr).
#ifndef ONEM2M_SERVICES_ADMIN_MAF_COMMAND_OUTPUT_H_
#define ONEM2M_SERVICES_ADMIN_MAF_COMMAND_OUTPUT_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "services/admin/cli_args.h"
#include "services/admin/command_util.h"

namespace onem2m {
namespace admin {
namespace maf_output {

std::string ClientStateName(::onem2m::rsp::v1::MafClientState s);
std::string KeyStateName(::onem2m::rsp::v1::MafKeyState s);
std::string CredentialStateName(::onem2m::rsp::v1::MafCredentialState s);
std::string TransportName(::onem2m::rsp::v1::Transport t);

void PrintClient(const ::onem2m::rsp::v1::MafClient& c, std::ostream& out);
void PrintCredential(const ::onem2m::rsp::v1::MafCredential& c, std::ostream& out);
void PrintKey(const ::onem2m::rsp::v1::MafKey& k, std::ostream& out);

// ListContext is what every list command parses before its first call.
struct ListContext {
  PageOptions paging;
  OutputFormat format = OutputFormat::kText;
};

absl::Status ParseList(const CliArgs& args, ListContext* out);

// FinishList prints the merged pages as JSON (with --output=json) and, when a page remains,
// its token on stderr so the next call can continue with --page-token.
void FinishList(const ListContext& l, const google::protobuf::Message& all,
                const std::string& next_token, uint64_t total, const char* noun, std::ostream& out,
                std::ostream& err);

}  // namespace maf_output
}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_MAF_COMMAND_OUTPUT_H_
