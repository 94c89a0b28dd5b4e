#include "services/admin/maf_commands.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/admin/command_util.h"
#include "services/admin/kek_commands.h"
#include "services/admin/maf_command_output.h"

namespace onem2m {
namespace admin {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using maf_output::ClientStateName;
using maf_output::CredentialStateName;
using maf_output::FinishList;
using maf_output::KeyStateName;
using maf_output::ListContext;
using maf_output::ParseList;
using maf_output::PrintClient;
using maf_output::PrintCredential;
using maf_output::PrintKey;

int ClientsList(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
                std::ostream& err) {
  ListContext l;
  absl::Status s = ParseList(args, &l);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::ListClientsRequest req;
  const std::string state = args.Get("state");
  if (state == "active") {
    req.set_state_filter(v1::MAF_CLIENT_STATE_ACTIVE);
  } else if (state == "expired") {
    req.set_state_filter(v1::MAF_CLIENT_STATE_EXPIRED);
  } else if (state == "revoked") {
    req.set_state_filter(v1::MAF_CLIENT_STATE_REVOKED);
  } else if (!state.empty()) {
    return Usage(err, "--state must be active, expired or revoked");
  }
  req.set_client_id_filter(args.Get("client_id"));
  req.set_page_size(l.paging.page_size);
  req.set_page_token(l.paging.page_token);
  v1::ListClientsResponse all;
  uint64_t total = 0;
  if (l.format == OutputFormat::kText) out << "reg_id\tstate\tclient_id\tkm_id\texpires\tkeys\n";
  do {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    v1::ListClientsResponse resp;
    grpc::Status st = stub->ListClients(&ctx, req, &resp);
    if (!st.ok()) return Fail(err, absl::StrCat("maf clients list (after ", total, " rows)"), st);
    for (const v1::MafClient& c : resp.clients()) {
      if (l.format == OutputFormat::kText) {
        out << c.maf_client_reg_id() << "\t" << ClientStateName(c.state()) << "\t" << c.client_id()
            << "\t" << c.km_id() << "\t" << FormatTime(c.expire_time()) << "\t"
            << c.active_key_count() << "\n";
      }
      ++total;
    }
    all.MergeFrom(resp);
    all.set_next_page_token(resp.next_page_token());
    req.set_page_token(resp.next_page_token());
  } while (l.paging.follow && !req.page_token().empty());
  FinishList(l, all, all.next_page_token(), total, "clients", out, err);
  return kExitOk;
}

// ClientSelector fills a GetClient/RevokeClient selector from --reg-id or --km-id.
template <typename Request>
absl::Status ClientSelector(const CliArgs& args, Request* req) {
  const bool reg = args.Has("reg_id");
  const bool km = args.Has("km_id");
  if (reg == km) return absl::InvalidArgumentError("give exactly one of --reg-id, --km-id");
  if (reg) {
    req->set_maf_client_reg_id(args.Get("reg_id"));
  } else {
    req->set_km_id(args.Get("km_id"));
  }
  return absl::OkStatus();
}

int ClientsGet(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
               std::ostream& err) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  v1::GetClientRequest req;
  absl::Status s = ClientSelector(args, &req);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::MafClient c;
  grpc::Status st = stub->GetClient(&ctx, req, &c);
  if (!st.ok()) return Fail(err, "maf clients get", st);
  if (*format == OutputFormat::kJson) {
    PrintJson(c, out);
  } else {
    PrintClient(c, out);
  }
  return kExitOk;
}

int ClientsRevoke(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
                  std::ostream& err) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  v1::RevokeClientRequest req;
  absl::Status s = ClientSelector(args, &req);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  if (args.Get("reason").empty()) return Usage(err, "--reason is required");
  req.set_reason(args.Get("reason"));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::MafClient c;
  grpc::Status st = stub->RevokeClient(&ctx, req, &c);
  if (!st.ok()) return Fail(err, "maf clients revoke", st);
  if (*format == OutputFormat::kJson) {
    PrintJson(c, out);
  } else {
    PrintClient(c, out);
  }
  return kExitOk;
}

int KeysList(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
             std::ostream& err) {
  ListContext l;
  absl::Status s = ParseList(args, &l);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::ListKeysRequest req;
  const std::string state = args.Get("state");
  if (state == "active") {
    req.set_state_filter(v1::MAF_KEY_STATE_ACTIVE);
  } else if (state == "expired") {
    req.set_state_filter(v1::MAF_KEY_STATE_EXPIRED);
  } else if (state == "deregistered") {
    req.set_state_filter(v1::MAF_KEY_STATE_DEREGISTERED);
  } else if (state == "revoked") {
    req.set_state_filter(v1::MAF_KEY_STATE_REVOKED);
  } else if (!state.empty()) {
    return Usage(err, "--state must be active, expired, deregistered or revoked");
  }
  req.set_maf_client_reg_id_filter(args.Get("reg_id"));
  req.set_target_id_filter(args.Get("target"));
  req.set_page_size(l.paging.page_size);
  req.set_page_token(l.paging.page_token);
  v1::ListKeysResponse all;
  uint64_t total = 0;
  if (l.format == OutputFormat::kText) out << "key_id\tstate\tsuid\treg_id\texpires\ttargets\n";
  do {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    v1::ListKeysResponse resp;
    grpc::Status st = stub->ListKeys(&ctx, req, &resp);
    if (!st.ok()) return Fail(err, absl::StrCat("maf keys list (after ", total, " rows)"), st);
    for (const v1::MafKey& k : resp.keys()) {
      if (l.format == OutputFormat::kText) {
        out << k.key_id() << "\t" << KeyStateName(k.state()) << "\t" << k.suid() << "\t"
            << k.maf_client_reg_id() << "\t" << FormatTime(k.expire_time()) << "\t"
            << absl::StrJoin(k.target_ids(), " ") << "\n";
      }
      ++total;
    }
    all.MergeFrom(resp);
    all.set_next_page_token(resp.next_page_token());
    req.set_page_token(resp.next_page_token());
  } while (l.paging.follow && !req.page_token().empty());
  FinishList(l, all, all.next_page_token(), total, "keys", out, err);
  return kExitOk;
}

int KeysGet(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
            std::ostream& err) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  if (args.Get("key_id").empty()) return Usage(err, "--key-id is required");
  v1::GetMafKeyRequest req;
  req.set_key_id(args.Get("key_id"));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::MafKey k;
  grpc::Status st = stub->GetKey(&ctx, req, &k);
  if (!st.ok()) return Fail(err, "maf keys get", st);
  if (*format == OutputFormat::kJson) {
    PrintJson(k, out);
  } else {
    PrintKey(k, out);
  }
  return kExitOk;
}

int KeysRevoke(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
               std::ostream& err) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  if (args.Get("key_id").empty()) return Usage(err, "--key-id is required");
  if (args.Get("reason").empty()) return Usage(err, "--reason is required");
  v1::RevokeKeyRequest req;
  req.set_key_id(args.Get("key_id"));
  req.set_reason(args.Get("reason"));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::MafKey k;
  grpc::Status st = stub->RevokeKey(&ctx, req, &k);
  if (!st.ok()) return Fail(err, "maf keys revoke", st);
  if (*format == OutputFormat::kJson) {
    PrintJson(k, out);
  } else {
    PrintKey(k, out);
  }
  return kExitOk;
}

int CredentialsList(const CliArgs& args, v1::MafAdminService::StubInterface* stub,
                    std::ostream& out, std::ostream& err) {
  ListContext l;
  absl::Status s = ParseList(args, &l);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  v1::ListCredentialsRequest req;
  const std::string state = args.Get("state");
  if (state == "active") {
    req.set_state_filter(v1::MAF_CREDENTIAL_STATE_ACTIVE);
  } else if (state == "expired") {
    req.set_state_filter(v1::MAF_CREDENTIAL_STATE_EXPIRED);
  } else if (state == "revoked") {
    req.set_state_filter(v1::MAF_CREDENTIAL_STATE_REVOKED);
  } else if (!state.empty()) {
    return Usage(err, "--state must be active, expired or revoked");
  }
  req.set_enrolee_id_filter(args.Get("enrolee_id"));
  req.set_mef_fqdn_filter(args.Get("mef_fqdn"));
  req.set_page_size(l.paging.page_size);
  req.set_page_token(l.paging.page_token);
  v1::ListCredentialsResponse all;
  uint64_t total = 0;
  if (l.format == OutputFormat::kText) {
    out << "km_id\tstate\tenrolee_id\tke_id\texpires\tlast_handshake\n";
  }
  do {
    grpc::ClientContext ctx;
    SetDeadline(args, &ctx);
    v1::ListCredentialsResponse resp;
    grpc::Status st = stub->ListCredentials(&ctx, req, &resp);
    if (!st.ok()) {
      return Fail(err, absl::StrCat("maf credentials list (after ", total, " rows)"), st);
    }
    for (const v1::MafCredential& c : resp.credentials()) {
      if (l.format == OutputFormat::kText) {
        out << c.km_id() << "\t" << CredentialStateName(c.state()) << "\t" << c.enrolee_id() << "\t"
            << c.ke_id() << "\t" << FormatTime(c.expire_time()) << "\t"
            << FormatTime(c.last_handshake_time()) << "\n";
      }
      ++total;
    }
    all.MergeFrom(resp);
    all.set_next_page_token(resp.next_page_token());
    req.set_page_token(resp.next_page_token());
  } while (l.paging.follow && !req.page_token().empty());
  FinishList(l, all, all.next_page_token(), total, "credentials", out, err);
  return kExitOk;
}

// CredentialSelector fills a GetCredential/RevokeCredential selector from --km-id or --ke-id.
template <typename Request>
absl::Status CredentialSelector(const CliArgs& args, Request* req) {
  const bool km = args.Has("km_id");
  const bool ke = args.Has("ke_id");
  if (km == ke) return absl::InvalidArgumentError("give exactly one of --km-id, --ke-id");
  if (km) {
    req->set_km_id(args.Get("km_id"));
  } else {
    req->set_ke_id(args.Get("ke_id"));
  }
  return absl::OkStatus();
}

int CredentialsGet(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
                   std::ostream& err) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  v1::GetCredentialRequest req;
  absl::Status s = CredentialSelector(args, &req);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::MafCredential c;
  grpc::Status st = stub->GetCredential(&ctx, req, &c);
  if (!st.ok()) return Fail(err, "maf credentials get", st);
  if (*format == OutputFormat::kJson) {
    PrintJson(c, out);
  } else {
    PrintCredential(c, out);
  }
  return kExitOk;
}

int CredentialsRevoke(const CliArgs& args, v1::MafAdminService::StubInterface* stub,
                      std::ostream& out, std::ostream& err) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return Usage(err, std::string(format.status().message()));
  v1::RevokeCredentialRequest req;
  absl::Status s = CredentialSelector(args, &req);
  if (!s.ok()) return Usage(err, std::string(s.message()));
  if (args.Get("reason").empty()) return Usage(err, "--reason is required");
  req.set_reason(args.Get("reason"));
  grpc::ClientContext ctx;
  SetDeadline(args, &ctx);
  v1::MafCredential c;
  grpc::Status st = stub->RevokeCredential(&ctx, req, &c);
  if (!st.ok()) return Fail(err, "maf credentials revoke", st);
  if (*format == OutputFormat::kJson) {
    PrintJson(c, out);
  } else {
    PrintCredential(c, out);
  }
  return kExitOk;
}

}  // namespace

int RunMafCommand(const CliArgs& args, v1::MafAdminService::StubInterface* stub, std::ostream& out,
                  std::ostream& err) {
  const std::vector<std::string>& p = args.command();
  if (p.size() == 3 && p[0] == "maf") {
    if (p[1] == "credentials") {
      if (p[2] == "list") return CredentialsList(args, stub, out, err);
      if (p[2] == "get") return CredentialsGet(args, stub, out, err);
      if (p[2] == "revoke") return CredentialsRevoke(args, stub, out, err);
    }
    if (p[1] == "clients") {
      if (p[2] == "list") return ClientsList(args, stub, out, err);
      if (p[2] == "get") return ClientsGet(args, stub, out, err);
      if (p[2] == "revoke") return ClientsRevoke(args, stub, out, err);
    }
    if (p[1] == "keys") {
      if (p[2] == "list") return KeysList(args, stub, out, err);
      if (p[2] == "get") return KeysGet(args, stub, out, err);
      if (p[2] == "revoke") return KeysRevoke(args, stub, out, err);
    }
    if (p[1] == "kek") return RunKekCommand(p[2], args, MafKekApi(stub), out, err);
  }
  return Usage(err, "unknown command '" + absl::StrJoin(p, " ") + "'");
}

}  // namespace admin
}  // namespace onem2m
