// End-to-end test with the real mef_server and maf_server binaries (memory stores): each gRPC port
// serves only its own API plus health checking and server reflection. A call to another API on a
// port gets UNIMPLEMENTED, so the NetworkPolicy that fences a port fences its API
// (docs/protocol.md 6). Loopback only.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <sys/wait.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "tests/e2e/grpc_std/reflection.pb.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"

namespace onem2m::e2e {
namespace {

using ::onem2m::testing::IsOk;

constexpr char kHealth[] = "grpc.health.v1.Health";
constexpr char kReflection[] = "grpc.reflection.v1alpha.ServerReflection";

grpc::ClientContext* WithDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

// Services lists the services a port announces through server reflection (one list_services
// request on the ServerReflectionInfo stream, sent with the generic async API; see
// grpc_std/reflection.proto for why).
std::set<std::string> Services(const std::shared_ptr<grpc::Channel>& ch) {
  std::set<std::string> out;
  grpc::GenericStub stub(ch);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(
      WithDeadline(&ctx), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto step = [&cq](void* want) {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && tag == want && ok;
  };
  int t[5];
  call->StartCall(&t[0]);
  if (!step(&t[0])) return out;
  test::reflection::ServerReflectionRequest req;
  req.set_list_services("");
  std::string bytes = req.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, &t[1]);
  if (!step(&t[1])) return out;
  grpc::ByteBuffer answer;
  call->Read(&answer, &t[2]);
  if (step(&t[2])) {
    std::vector<grpc::Slice> slices;
    (void)answer.Dump(&slices);
    std::string raw;
    for (const grpc::Slice& s : slices) raw.append(reinterpret_cast<const char*>(s.begin()), s.size());
    test::reflection::ServerReflectionResponse resp;
    EXPECT_TRUE(resp.ParseFromString(raw));
    for (const auto& s : resp.list_services_response().service()) out.insert(s.name());
  }
  call->WritesDone(&t[3]);
  (void)step(&t[3]);
  grpc::Status status;
  call->Finish(&status, &t[4]);
  (void)step(&t[4]);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return out;
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = grpc::health::v1::Health::NewStub(ch);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(WithDeadline(&ctx), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.status();
}

grpc::StatusCode FetchCredential(const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = rsp::v1::MefCredentialService::NewStub(ch);
  grpc::ClientContext ctx;
  rsp::v1::FetchCredentialRequest req;
  req.set_ke_id(absl::StrCat(std::string(32, 'a'), "@", kEnvMefFqdn));
  req.set_suid(21);
  rsp::v1::FetchCredentialResponse resp;
  return stub->FetchCredential(WithDeadline(&ctx), req, &resp).error_code();
}

grpc::StatusCode ListEnrolees(const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = rsp::v1::MefAdminService::NewStub(ch);
  grpc::ClientContext ctx;
  rsp::v1::ListEnroleesRequest req;
  rsp::v1::ListEnroleesResponse resp;
  return stub->ListEnrolees(WithDeadline(&ctx), req, &resp).error_code();
}

grpc::StatusCode GetKey(const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = rsp::v1::MafKeyService::NewStub(ch);
  grpc::ClientContext ctx;
  rsp::v1::GetKeyRequest req;
  req.set_key_id(absl::StrCat(std::string(32, 'b'), "@", kEnvMafFqdn));
  rsp::v1::GetKeyResponse resp;
  return stub->GetKey(WithDeadline(&ctx), req, &resp).error_code();
}

grpc::StatusCode ListClients(const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = rsp::v1::MafAdminService::NewStub(ch);
  grpc::ClientContext ctx;
  rsp::v1::ListClientsRequest req;
  rsp::v1::ListClientsResponse resp;
  return stub->ListClients(WithDeadline(&ctx), req, &resp).error_code();
}

class GrpcListenersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = ServiceEnv::Create("grpc_listeners");
    for (int attempt = 0; attempt < 3; ++attempt) {
      mef_ports_ = MefPorts::Pick();
      ASSERT_TRUE(
          mef_.Start(env_.MefArgv(mef_ports_, {"--store=memory"}), env_.dir + "/mef.out", MefLog())
              .ok());
      if (WaitReady(mef_, mef_ports_.ops, MefLog(), "mef_started").ok()) break;
      mef_.Stop(absl::Seconds(5));  // a port race: try new ports
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
      maf_ports_ = MafPorts::Pick();
      const std::string mef_endpoint =
          absl::StrCat(kEnvMefFqdn, "=", kEnvMefCertName, ":", mef_ports_.cred);
      ASSERT_TRUE(maf_.Start(env_.MafArgv(maf_ports_, mef_endpoint, {"--store=memory"}),
                             env_.dir + "/maf.out", MafLog())
                      .ok());
      if (WaitReady(maf_, maf_ports_.ops, MafLog(), "maf_started").ok()) break;
      maf_.Stop(absl::Seconds(5));
    }
    ASSERT_TRUE(mef_.Running()) << ReadFileOrEmpty(MefLog());
    ASSERT_TRUE(maf_.Running()) << ReadFileOrEmpty(MafLog());
  }

  std::string MefLog() const { return env_.dir + "/mef.log"; }
  std::string MafLog() const { return env_.dir + "/maf.log"; }

  ServiceEnv env_;
  MefPorts mef_ports_;
  MafPorts maf_ports_;
  ChildProcess mef_, maf_;
};

TEST_F(GrpcListenersTest, MefCredentialPortServesOnlyTheCredentialApi) {
  auto as_maf = env_.Channel(mef_ports_.cred, "maf");
  auto as_admin = env_.Channel(mef_ports_.cred, "admin");
  EXPECT_EQ(FetchCredential(as_maf), grpc::StatusCode::NOT_FOUND);
  // The admin API is not there, even for an admin certificate.
  EXPECT_EQ(ListEnrolees(as_admin), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(GetKey(as_maf), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Health(as_maf), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Services(as_maf),
            (std::set<std::string>{"onem2m.rsp.v1.MefCredentialService", kHealth, kReflection}));
}

TEST_F(GrpcListenersTest, MefAdminPortServesOnlyTheAdminApi) {
  auto as_admin = env_.Channel(mef_ports_.admin, "admin");
  auto as_maf = env_.Channel(mef_ports_.admin, "maf");
  EXPECT_EQ(ListEnrolees(as_admin), grpc::StatusCode::OK);
  EXPECT_EQ(FetchCredential(as_maf), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Health(as_admin), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Services(as_admin),
            (std::set<std::string>{"onem2m.rsp.v1.MefAdminService", kHealth, kReflection}));
}

TEST_F(GrpcListenersTest, MafKeyPortServesOnlyTheKeyApi) {
  auto as_target = env_.Channel(maf_ports_.key, "target", kEnvMafFqdn);
  auto as_admin = env_.Channel(maf_ports_.key, "admin", kEnvMafFqdn);
  EXPECT_EQ(GetKey(as_target), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ListClients(as_admin), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(FetchCredential(as_target), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Health(as_target), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Services(as_target),
            (std::set<std::string>{"onem2m.rsp.v1.MafKeyService", kHealth, kReflection}));
}

TEST_F(GrpcListenersTest, MafAdminPortServesOnlyTheAdminApi) {
  auto as_admin = env_.Channel(maf_ports_.admin, "admin", kEnvMafFqdn);
  auto as_target = env_.Channel(maf_ports_.admin, "target", kEnvMafFqdn);
  EXPECT_EQ(ListClients(as_admin), grpc::StatusCode::OK);
  EXPECT_EQ(GetKey(as_target), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Health(as_admin), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Services(as_admin),
            (std::set<std::string>{"onem2m.rsp.v1.MafAdminService", kHealth, kReflection}));
}

// RspHealth runs the real rsp_health binary (the chart's `helm test` check) against 127.0.0.1:port
// with the admin client certificate; returns its exit code and stdout.
std::pair<int, std::string> RspHealth(const ServiceEnv& env, int port, const std::string& server_name,
                                      const std::string& timeout) {
  ChildProcess p;
  const std::string out = env.dir + "/rsp_health.out";
  EXPECT_TRUE(p.Start({RunfilePath("services/health/rsp_health"),
                       absl::StrCat("--target=127.0.0.1:", port), "--server_name=" + server_name,
                       "--tls_cert=" + env.dir + "/admin.crt", "--tls_key=" + env.dir + "/admin.key",
                       "--tls_ca=" + env.dir + "/ca.crt", "--timeout=" + timeout},
                      out, env.dir + "/rsp_health.err")
                  .ok());
  (void)::onem2m::testing::WaitFor([&] { return !p.Running(); }, absl::Seconds(30),
                                   absl::Milliseconds(20));
  const int status = p.Stop(absl::Seconds(1));
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFileOrEmpty(out)};
}

// The protos say what a caller without a client certificate sees: the TLS handshake refuses it, so
// its channel reports UNAVAILABLE and no RPC (and no UNAUTHENTICATED) is ever reached.
TEST_F(GrpcListenersTest, CallerWithoutClientCertificateSeesUnavailable) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ReadFileOrEmpty(env_.dir + "/ca.crt");
  ASSERT_FALSE(o.pem_root_certs.empty());
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(kEnvMefCertName);
  for (int port : {mef_ports_.cred, mef_ports_.admin}) {
    auto ch = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(o),
                                        args);
    EXPECT_EQ(FetchCredential(ch), grpc::StatusCode::UNAVAILABLE) << port;
  }
  args.SetSslTargetNameOverride(kEnvMafFqdn);
  for (int port : {maf_ports_.key, maf_ports_.admin}) {
    auto ch = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(o),
                                        args);
    EXPECT_EQ(GetKey(ch), grpc::StatusCode::UNAVAILABLE) << port;
  }
}

TEST_F(GrpcListenersTest, RspHealthReportsEveryPortServing) {
  for (int port : {mef_ports_.cred, mef_ports_.admin}) {
    auto [code, out] = RspHealth(env_, port, kEnvMefCertName, "10s");
    EXPECT_EQ(code, 0) << out << ReadFileOrEmpty(env_.dir + "/rsp_health.err");
    EXPECT_NE(out.find("SERVING"), std::string::npos) << out;
  }
  for (int port : {maf_ports_.key, maf_ports_.admin}) {
    auto [code, out] = RspHealth(env_, port, kEnvMafFqdn, "10s");
    EXPECT_EQ(code, 0) << out << ReadFileOrEmpty(env_.dir + "/rsp_health.err");
    EXPECT_NE(out.find("SERVING"), std::string::npos) << out;
  }
  // Nothing listens on the ops port's gRPC side: the check fails within its deadline, exit 1.
  auto [code, out] = RspHealth(env_, mef_ports_.ops, kEnvMefCertName, "1s");
  EXPECT_EQ(code, 1) << out;
}

}  // namespace
}  // namespace onem2m::e2e
