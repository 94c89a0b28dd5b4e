#include "maf/grpc/maf_key_service.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/crypto/key_id.h"
#include "common/grpc/mtls.h"
#include "common/log/logger.h"
#include "maf/grpc/proto_convert.h"

namespace onem2m {
namespace maf {

MafKeyServiceImpl::MafKeyServiceImpl(MafStore* store, const crypto::Envelope* envelope,
                                     std::string maf_fqdn, MafMetrics* metrics)
    : store_(store), envelope_(envelope), maf_fqdn_(std::move(maf_fqdn)), metrics_(metrics) {}

grpc::Status MafKeyServiceImpl::GetKey(grpc::ServerContext* context,
                                       const rsp::v1::GetKeyRequest* request,
                                       rsp::v1::GetKeyResponse* response) {
  const absl::Time start = absl::Now();
  const std::vector<std::string> callers = grpcutil::PeerDnsNames(*context);
  const std::string caller = absl::StrJoin(callers, ",");
  // The requested id is audited as sent only if short; a garbage id is cut so the audit log cannot
  // be flooded through this field.
  const std::string asked = request->key_id().substr(0, 300);
  auto done = [&](grpc::StatusCode code, const std::string& message, absl::string_view outcome) {
    Audit("maf_get_key",
          {{"caller", caller}, {"key_id", asked}, {"outcome", std::string(outcome)}});
    if (metrics_ != nullptr) metrics_->OnKeyRetrieval(outcome, absl::Now() - start);
    return grpc::Status(code, message);
  };
  if (callers.empty()) {
    return done(grpc::StatusCode::UNAUTHENTICATED, "no verified client certificate",
                "unauthenticated");
  }
  absl::StatusOr<crypto::KeyId> id = crypto::KeyId::Parse(request->key_id());
  if (!id.ok()) {
    return done(grpc::StatusCode::INVALID_ARGUMENT, "key_id is not a Key Identifier",
                "invalid_argument");
  }
  if (id->fqdn != maf_fqdn_) {
    return done(grpc::StatusCode::INVALID_ARGUMENT, "key_id names another MAF", "invalid_argument");
  }
  absl::StatusOr<MafKey> key = store_->GetActiveKey(id->ToString());
  if (key.status().code() == absl::StatusCode::kNotFound) {
    return done(grpc::StatusCode::NOT_FOUND, "no such key", "not_found");
  }
  if (!key.ok()) {
    return done(static_cast<grpc::StatusCode>(key.status().code()), "store unavailable",
                "store_error");
  }
  const bool allowed = std::any_of(callers.begin(), callers.end(), [&](const std::string& c) {
    return std::find(key->target_ids.begin(), key->target_ids.end(), c) != key->target_ids.end();
  });
  if (!allowed) {
    return done(grpc::StatusCode::PERMISSION_DENIED, "caller is not a target of this key",
                "permission_denied");
  }
  absl::StatusOr<SecretBytes> value = envelope_->Open(key->key.ciphertext, key->key_id);
  if (!value.ok()) return done(grpc::StatusCode::INTERNAL, "internal error", "unseal_failed");
  // WARNING: protobuf bytes are not wiped; gRPC owns `response` after we return (see
  // proto/README.md). The SecretBytes copy is wiped when `value` goes out of scope.
  response->set_key(value->data(), value->size());
  response->set_suid(key->suid);
  SetTimestamp(key->expires_at, response->mutable_expires_at());
  response->set_key_id(key->key_id);
  response->set_client_id(key->client_id);
  for (const std::string& t : key->target_ids) response->add_target_ids(t);
  return done(grpc::StatusCode::OK, "", "ok");
}

}  // namespace maf
}  // namespace onem2m
