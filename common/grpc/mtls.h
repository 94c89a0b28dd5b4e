// File: common/grpc/mtls.h
//
// Mutual TLS for every gRPC port of the suite: server credentials that require and verify a client
// certificate against a CA, channel credentials that present one, and the caller's identity: the
// DNS names in its certificate's subject alternative name (docs/protocol.md 6: the MAF's identity
// is the DNS name in its client certificate).
//
//   auto creds = MakeServerCredentials({.cert_file = "...", .key_file = "...", .ca_file = "..."});
//   builder.AddListeningPort("[::]:9443", *creds);
//   ...
//   std::vector<std::string> names = PeerDnsNames(*context);   // inside a handler
#ifndef ONEM2M_COMMON_GRPC_MTLS_H_
#define ONEM2M_COMMON_GRPC_MTLS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace onem2m::grpcutil {

struct TlsFiles {
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
  std::string ca_file;    // PEM CA bundle used to verify the peer
};

// MakeServerCredentials returns credentials that require a client certificate signed by ca_file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const TlsFiles& f);

// MakeChannelCredentials returns credentials presenting cert/key and verifying the server by CA.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(const TlsFiles& f);

// PeerDnsNames lists the DNS subject alternative names of the authenticated peer (empty when the
// peer presented no verified certificate).
std::vector<std::string> PeerDnsNames(const grpc::ServerContextBase& context);

// PeerHasIdentity is true when one of the peer's DNS names equals `name` exactly.
bool PeerHasIdentity(const grpc::ServerContextBase& context, const std::string& name);

// ToGrpcStatus and FromGrpcStatus convert between absl::Status and grpc::Status (same codes).
grpc::Status ToGrpcStatus(const absl::Status& s);
absl::Status FromGrpcStatus(const grpc::Status& s);

}  // namespace onem2m::grpcutil

#endif  // ONEM2M_COMMON_GRPC_MTLS_H_
