// Text and list output of the `rsp_admin maf ...` commands; see maf_command_output.h.
#include "services/admin/maf_command_output.h"

#include "absl/strings/str_join.h"

namespace onem2m {
namespace admin {
namespace maf_output {

namespace v1 = ::onem2m::rsp::v1;

std::string ClientStateName(v1::MafClientState s) {
  switch (s) {
    case v1::MAF_CLIENT_STATE_ACTIVE:
      return "active";
    case v1::MAF_CLIENT_STATE_EXPIRED:
      return "expired";
    case v1::MAF_CLIENT_STATE_REVOKED:
      return "revoked";
    default:
      return "unspecified";
  }
}

std::string KeyStateName(v1::MafKeyState s) {
  switch (s) {
    case v1::MAF_KEY_STATE_ACTIVE:
      return "active";
    case v1::MAF_KEY_STATE_EXPIRED:
      return "expired";
    case v1::MAF_KEY_STATE_DEREGISTERED:
      return "deregistered";
    case v1::MAF_KEY_STATE_REVOKED:
      return "revoked";
    default:
      return "unspecified";
  }
}

std::string CredentialStateName(v1::MafCredentialState s) {
  switch (s) {
    case v1::MAF_CREDENTIAL_STATE_ACTIVE:
      return "active";
    case v1::MAF_CREDENTIAL_STATE_EXPIRED:
      return "expired";
    case v1::MAF_CREDENTIAL_STATE_REVOKED:
      return "revoked";
    default:
      return "unspecified";
  }
}

std::string TransportName(v1::Transport t) {
  switch (t) {
    case v1::TRANSPORT_TLS:
      return "tls";
    case v1::TRANSPORT_DTLS:
      return "dtls";
    default:
      return "-";
  }
}

namespace {

void PrintRevocation(const v1::StateChange& r, std::ostream& out) {
  out << "revoked:      " << FormatTime(r.time()) << " by " << r.actor().identity() << ": "
      << r.reason() << "\n";
}

}  // namespace

void PrintClient(const v1::MafClient& c, std::ostream& out) {
  out << "reg_id:       " << c.maf_client_reg_id() << "\n"
      << "client_id:    " << c.client_id() << "\n"
      << "km_id:        " << c.km_id() << "\n"
      << "ke_id:        " << c.ke_id() << "\n"
      << "state:        " << ClientStateName(c.state()) << "\n"
      << "created:      " << FormatTime(c.create_time()) << "\n"
      << "expires:      " << FormatTime(c.expire_time()) << "\n"
      << "active_keys:  " << c.active_key_count() << "\n";
  if (c.has_last_handshake_time()) {
    out << "last_handshake: " << FormatTime(c.last_handshake_time())
        << (c.last_transport() == v1::TRANSPORT_DTLS ? " dtls" : " tls") << "\n";
  }
  if (c.has_revocation()) PrintRevocation(c.revocation(), out);
}

void PrintCredential(const v1::MafCredential& c, std::ostream& out) {
  out << "km_id:        " << c.km_id() << "\n"
      << "ke_id:        " << c.ke_id() << "\n"
      << "enrolee_id:   " << c.enrolee_id() << "\n"
      << "mef:          " << c.mef_fqdn() << "\n"
      << "state:        " << CredentialStateName(c.state()) << "\n"
      << "created:      " << FormatTime(c.create_time()) << "\n"
      << "expires:      " << FormatTime(c.expire_time()) << "\n";
  if (c.kek_version() != 0) out << "kek_version:  " << c.kek_version() << "\n";
  if (c.has_last_handshake_time()) {
    out << "last_handshake: " << FormatTime(c.last_handshake_time()) << " "
        << TransportName(c.last_transport()) << "\n";
  }
  if (c.has_revocation()) PrintRevocation(c.revocation(), out);
}

void PrintKey(const v1::MafKey& k, std::ostream& out) {
  out << "key_id:       " << k.key_id() << "\n"
      << "reg_id:       " << k.maf_client_reg_id() << "\n"
      << "suid:         " << k.suid() << "\n"
      << "targets:      " << absl::StrJoin(k.target_ids(), " ") << "\n"
      << "state:        " << KeyStateName(k.state()) << "\n"
      << "created:      " << FormatTime(k.create_time()) << "\n"
      << "expires:      " << FormatTime(k.expire_time()) << "\n";
  if (k.has_revocation()) PrintRevocation(k.revocation(), out);
}

absl::Status ParseList(const CliArgs& args, ListContext* out) {
  absl::StatusOr<PageOptions> paging = ParsePageOptions(args, /*follow_by_default=*/false);
  if (!paging.ok()) return paging.status();
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return format.status();
  out->paging = *paging;
  out->format = *format;
  return absl::OkStatus();
}

// FinishList prints the merged pages as JSON (with --output=json) and, when a page remains,
// its token on stderr so the next call can continue with --page-token.
void FinishList(const ListContext& l, const google::protobuf::Message& all,
                const std::string& next_token, uint64_t total, const char* noun, std::ostream& out,
                std::ostream& err) {
  if (l.format == OutputFormat::kJson) PrintJson(all, out);
  err << total << " " << noun << "\n";
  if (!next_token.empty()) err << "next_page_token: " << next_token << "\n";
}

}  // namespace maf_output
}  // namespace admin
}  // namespace onem2m
