#include "common/grpc/mtls.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace onem2m::grpcutil {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const TlsFiles& f) {
  absl::StatusOr<std::string> cert = ReadFile(f.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(f.key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadFile(f.ca_file);
  if (!ca.ok()) return ca.status();
  grpc::SslServerCredentialsOptions opts(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = *ca;
  opts.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(opts);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& f) {
  grpc::SslCredentialsOptions opts;
  absl::StatusOr<std::string> ca = ReadFile(f.ca_file);
  if (!ca.ok()) return ca.status();
  opts.pem_root_certs = *ca;
  if (!f.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(f.cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(f.key_file);
    if (!key.ok()) return key.status();
    opts.pem_cert_chain = *cert;
    opts.pem_private_key = *key;
  }
  return grpc::SslCredentials(opts);
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
