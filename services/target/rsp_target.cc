// rsp_target: a backend Target fetching a key the MAF distributes (TS-0003 8.8.2.8 over gRPC,
// docs/protocol.md 7). Its identity is the DNS name in its client certificate, which must be one of the
// key's targetIDs.
//
//   rsp_target --maf=127.0.0.1:9443 --server_name=maf.local --tls_cert=target.crt
//              --tls_key=target.key --tls_ca=ca.crt --key_id=0123...@maf.local
//
// Prints the Key Identifier, the registering client, SUID, expiry and the key's fingerprint
// (common/crypto/key_fingerprint.h), never the key.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "common/process_defaults.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/crypto/key_fingerprint.h"
#include "common/grpc/mtls.h"
#include "common/secret_bytes.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"

ABSL_FLAG(std::string, maf, "", "MAF key service address host:port (gRPC, mutual TLS).");
ABSL_FLAG(std::string, server_name, "", "Expected name in the MAF's certificate (default: host).");
ABSL_FLAG(std::string, tls_cert, "",
          "This Target's client certificate (PEM; DNS name = targetID).");
ABSL_FLAG(std::string, tls_key, "", "Its private key (PEM).");
ABSL_FLAG(std::string, tls_ca, "", "CA bundle that signs the MAF's certificate (PEM).");
ABSL_FLAG(std::string, key_id, "", "Key Identifier to fetch (RelativeKeyID@MAF-FQDN).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of the call.");

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::SetProgramUsageMessage(
      "rsp_target: fetch a distributed key from a MAF as a backend Target.");
  absl::ParseCommandLine(argc, argv);
  auto creds = onem2m::grpcutil::MakeChannelCredentials(
      {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_ca)});
  if (!creds.ok()) {
    std::fprintf(stderr, "rsp_target: %s\n", creds.status().ToString().c_str());
    return 2;
  }
  grpc::ChannelArguments args;
  if (!absl::GetFlag(FLAGS_server_name).empty()) {
    args.SetSslTargetNameOverride(absl::GetFlag(FLAGS_server_name));
  }
  auto stub = onem2m::rsp::v1::MafKeyService::NewStub(
      grpc::CreateCustomChannel(absl::GetFlag(FLAGS_maf), *creds, args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
  onem2m::rsp::v1::GetKeyRequest req;
  req.set_key_id(absl::GetFlag(FLAGS_key_id));
  onem2m::rsp::v1::GetKeyResponse resp;
  grpc::Status s = stub->GetKey(&ctx, req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "rsp_target: GetKey: %s: %s\n",
                 absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code())).c_str(),
                 s.error_message().c_str());
    return 1;
  }
  onem2m::SecretBytes key = onem2m::SecretBytes::Copy(resp.key());
  onem2m::WipeString(resp.mutable_key());
  absl::Time expires = absl::FromUnixSeconds(resp.expires_at().seconds());
  std::printf(
      "key retrieved\n  KeyID       %s\n  client      %s\n  targets     %s\n  suid        %u\n"
      "  expires     %s\n  fingerprint %s\n",
      resp.key_id().c_str(), resp.client_id().c_str(),
      absl::StrJoin(resp.target_ids(), ",").c_str(), resp.suid(),
      absl::FormatTime(absl::RFC3339_sec, expires, absl::UTCTimeZone()).c_str(),
      onem2m::crypto::KeyFingerprint(key).c_str());
  return 0;
}
