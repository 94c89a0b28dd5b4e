#include "common/grpc/mtls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/str_cat.h"
#include "common/grpc/tls_file_watcher.h"

namespace onem2m::grpcutil {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const TlsFiles& f) {
  if (f.cert_file.empty()) return absl::InvalidArgumentError("tls_cert: required");
  absl::StatusOr<std::shared_ptr<TlsFileWatcher>> w = TlsFileWatcher::Get(f);
  if (!w.ok()) return w.status();
  grpc::experimental::TlsServerCredentialsOptions opts((*w)->provider());
  opts.watch_root_certs();
  opts.watch_identity_key_cert_pairs();
  opts.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(opts);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& f) {
  absl::StatusOr<std::shared_ptr<TlsFileWatcher>> w = TlsFileWatcher::Get(f);
  if (!w.ok()) return w.status();
  grpc::experimental::TlsChannelCredentialsOptions opts;
  opts.set_certificate_provider((*w)->provider());
  opts.watch_root_certs();
  if ((*w)->has_identity()) opts.watch_identity_key_cert_pairs();
  return grpc::experimental::TlsCredentials(opts);
}

std::vector<std::string> PeerDnsNames(const grpc::ServerContextBase& context) {
  std::vector<std::string> out;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return out;
  // "peer_dns" holds the DNS SAN entries only (not IP or URI SANs), which is the identity we want.
  for (const grpc::string_ref& v : auth->FindPropertyValues("peer_dns")) {
    out.emplace_back(v.data(), v.size());
  }
  return out;
}

bool PeerHasIdentity(const grpc::ServerContextBase& context, const std::string& name) {
  for (const std::string& n : PeerDnsNames(context)) {
    if (n == name) return true;
  }
  return false;
}

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace onem2m::grpcutil
