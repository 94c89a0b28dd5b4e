// rsp_health: checks a service's gRPC health (grpc.health.v1.Health/Check) over mutual TLS, the
// way the chart's `helm test` Pod does for both services (deploy/helm/onem2m-rsp/templates/tests).
//
//   rsp_health --target=mef.onem2m.svc:9444 --server_name=mef.example.com
//       --tls_cert=tls.crt --tls_key=tls.key --tls_ca=ca.crt [--service=NAME] [--timeout=10s]
//
// Exit codes: 0 SERVING, 1 not serving or the call failed, 2 usage or credential error.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/grpc/mtls.h"
#include "common/process_defaults.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, target, "", "Address host:port of the gRPC port to check (mutual TLS).");
ABSL_FLAG(std::string, server_name, "",
          "Expected name in the server's certificate (default: host).");
ABSL_FLAG(std::string, tls_cert, "", "Client certificate chain (PEM) signed by the server's CA.");
ABSL_FLAG(std::string, tls_key, "", "Its private key (PEM).");
ABSL_FLAG(std::string, tls_ca, "", "CA bundle that signs the server's certificate (PEM).");
ABSL_FLAG(std::string, service, "", "Service name to check; empty: the whole server.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "Deadline of the check, connecting included.");

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::SetProgramUsageMessage(
      "rsp_health: check a MEF or MAF gRPC port's health (grpc.health.v1) over mutual TLS.");
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) {
    std::fprintf(stderr, "rsp_health: --target is required\n");
    return 2;
  }
  auto creds = onem2m::grpcutil::MakeChannelCredentials(
      {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_ca)});
  if (!creds.ok()) {
    std::fprintf(stderr, "rsp_health: %s\n", creds.status().ToString().c_str());
    return 2;
  }
  grpc::ChannelArguments args;
  if (!absl::GetFlag(FLAGS_server_name).empty()) {
    args.SetSslTargetNameOverride(absl::GetFlag(FLAGS_server_name));
  }
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateCustomChannel(target, *creds, args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
  ctx.set_wait_for_ready(true);  // ride out a pod that is still starting, up to the deadline
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "rsp_health: %s: %s: %s\n", target.c_str(),
                 absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code())).c_str(),
                 s.error_message().c_str());
    return 1;
  }
  const std::string status =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  std::printf("%s %s\n", target.c_str(), status.c_str());
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}
