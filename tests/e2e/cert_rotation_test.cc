// End-to-end test with the real mef_server and maf_server binaries (memory stores): every
// certificate, key and CA file is rotated under the running processes, as cert-manager renews
// them, and no process restarts. Afterwards:
//   - the MEF's credential and admin ports and the MAF's key and admin ports present certificates
//     of the new CA (clients trusting only the new CA get in);
//   - once the old CA is retired, the MAF's client to the MEF still fetches, so it presents its
//     renewed certificate (the MEF accepts only the new CA by then), and new clients of the old CA
//     are refused while a connection opened before stays up;
//   - a broken renewal (a key that does not match its certificate) is refused with an error log
//     and onem2m_cert_reload_errors_total, and the previous files stay in use.
// Loopback only.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_pki.h"
#include "common/testing/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/maf_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"
#include "tests/e2e/tcp_proxy.h"

namespace onem2m::e2e {
namespace {

using ::onem2m::testing::IsOk;

using testing::TestPki;

// Identity is a client certificate and the roots a client trusts.
struct Identity {
  std::string roots, cert, key;
};

Identity From(const TestPki& ca, const std::string& dns) {
  TestPki::Leaf l = ca.Issue(dns);
  return {ca.ca_pem(), l.cert_pem, l.key_pem};
}

std::shared_ptr<grpc::Channel> Dial(int port, const Identity& id, const std::string& server_name) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = id.roots;
  o.pem_cert_chain = id.cert;
  o.pem_private_key = id.key;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(server_name);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 300);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(o), args);
}

std::chrono::system_clock::time_point Soon() {
  return std::chrono::system_clock::now() + std::chrono::seconds(3);
}

// Each call returns true when the TLS handshake succeeded and the service answered (any answer
// other than UNAVAILABLE, which is what a refused handshake gives).
bool MefAdmin(const std::shared_ptr<grpc::Channel>& ch) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Soon());
  rsp::v1::ListEnroleesResponse r;
  return rsp::v1::MefAdminService::NewStub(ch)->ListEnrolees(&ctx, {}, &r).ok();
}
bool MefCredential(const std::shared_ptr<grpc::Channel>& ch) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Soon());
  rsp::v1::FetchCredentialRequest req;
  req.set_ke_id(absl::StrCat(std::string(32, 'c'), "@", kEnvMefFqdn));
  req.set_suid(21);
  rsp::v1::FetchCredentialResponse r;
  return rsp::v1::MefCredentialService::NewStub(ch)->FetchCredential(&ctx, req, &r).error_code() ==
         grpc::StatusCode::NOT_FOUND;
}
bool MafKeys(const std::shared_ptr<grpc::Channel>& ch) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Soon());
  rsp::v1::GetKeyRequest req;
  req.set_key_id(absl::StrCat(std::string(32, 'd'), "@", kEnvMafFqdn));
  rsp::v1::GetKeyResponse r;
  return rsp::v1::MafKeyService::NewStub(ch)->GetKey(&ctx, req, &r).error_code() ==
         grpc::StatusCode::NOT_FOUND;
}
bool MafAdmin(const std::shared_ptr<grpc::Channel>& ch) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Soon());
  rsp::v1::ListClientsResponse r;
  return rsp::v1::MafAdminService::NewStub(ch)->ListClients(&ctx, {}, &r).ok();
}

template <typename F>
bool Eventually(F pred, absl::Duration timeout = absl::Seconds(20)) {
  return ::onem2m::testing::WaitFor(pred, timeout, absl::Milliseconds(200));
}

// MetricValue reads an unlabelled counter from /metrics (-1 if absent).
double MetricValue(int ops, const std::string& name) {
  std::string body = HttpGet(ops, "/metrics", absl::Seconds(2));
  size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

TEST(CertRotationTest, AllCertificatesRotateUnderRunningMefAndMaf) {
  ServiceEnv env = ServiceEnv::Create("cert_rotation");
  const TestPki ca1 = env.pki;
  MefPorts mp = MefPorts::Pick();
  MafPorts fp = MafPorts::Pick();
  ChildProcess mef, maf;
  ASSERT_TRUE(mef.Start(env.MefArgv(mp, {"--store=memory", "--tls_reload_interval=1s"}),
                        env.dir + "/mef.out", env.dir + "/mef.log")
                  .ok());
  ASSERT_THAT(WaitReady(mef, mp.ops, env.dir + "/mef.log", "mef_started"), IsOk());
  // The MAF reaches the MEF through a relay the test can cut, so the MAF's next fetch must make a
  // new handshake. The MAF ages no connection out, so a connection opened before the rotation is
  // still the same one afterwards.
  TcpProxy relay("127.0.0.1", mp.cred);
  ASSERT_TRUE(maf.Start(env.MafArgv(fp, absl::StrCat(kEnvMefFqdn, "=", kEnvMefCertName, ":",
                                                     relay.port()),
                                    {"--store=memory", "--tls_reload_interval=1s",
                                     "--grpc_max_connection_age=inf"}),
                        env.dir + "/maf.out", env.dir + "/maf.log")
                  .ok());
  ASSERT_THAT(WaitReady(maf, fp.ops, env.dir + "/maf.log", "maf_started"), IsOk());

  // Before: everything works with CA one.
  const Identity admin1 = From(ca1, "admin.local"), target1 = From(ca1, "target.local");
  EXPECT_TRUE(MefAdmin(Dial(mp.admin, admin1, kEnvMefCertName)));
  EXPECT_TRUE(MafKeys(Dial(fp.key, target1, kEnvMafFqdn)));
  double fetches = MefFetches(mp.ops);
  AttemptUnknownKeId(fp.tls);
  EXPECT_GT(MefFetches(mp.ops), fetches);
  std::shared_ptr<grpc::Channel> open_before = Dial(fp.key, target1, kEnvMafFqdn);
  ASSERT_TRUE(MafKeys(open_before));

  // Rotation, step 1: a new CA; every leaf re-issued by it; both CAs trusted during the rollover.
  const TestPki ca2 = TestPki::Create("onem2m test ca two");
  env.pki = ca2;
  env.IssueLeaf("mef", kEnvMefCertName);
  env.IssueLeaf("maf", kEnvMafFqdn);
  ASSERT_THAT(WriteFileWithMode(env.dir + "/ca.crt.tmp", ca1.ca_pem() + ca2.ca_pem(), 0644),
              IsOk());
  ASSERT_EQ(std::rename((env.dir + "/ca.crt.tmp").c_str(), (env.dir + "/ca.crt").c_str()), 0);

  // Every port presents a certificate of CA two: clients trusting only CA two get in.
  const Identity admin2 = From(ca2, "admin.local"), target2 = From(ca2, "target.local");
  const Identity maf2 = From(ca2, kEnvMafFqdn);
  EXPECT_TRUE(Eventually([&] { return MefAdmin(Dial(mp.admin, admin2, kEnvMefCertName)); }));
  EXPECT_TRUE(Eventually([&] { return MefCredential(Dial(mp.cred, maf2, kEnvMefCertName)); }));
  EXPECT_TRUE(Eventually([&] { return MafKeys(Dial(fp.key, target2, kEnvMafFqdn)); }));
  EXPECT_TRUE(Eventually([&] { return MafAdmin(Dial(fp.admin, admin2, kEnvMafFqdn)); }));

  // Step 2: CA one retired. The MEF now accepts only clients of CA two, so the MAF's fetches
  // prove that its client presents the renewed certificate.
  ASSERT_THAT(WriteFileWithMode(env.dir + "/ca.crt.tmp", ca2.ca_pem(), 0644), IsOk());
  ASSERT_EQ(std::rename((env.dir + "/ca.crt.tmp").c_str(), (env.dir + "/ca.crt").c_str()), 0);
  EXPECT_TRUE(Eventually([&] { return !MefAdmin(Dial(mp.admin, admin1, kEnvMefCertName)); }));
  const Identity maf1 = From(ca1, kEnvMafFqdn);
  EXPECT_TRUE(Eventually([&] { return !MefCredential(Dial(mp.cred, maf1, kEnvMefCertName)); }));
  EXPECT_TRUE(Eventually([&] { return !MafKeys(Dial(fp.key, target1, kEnvMafFqdn)); }));
  // Cut the MAF's connection to the MEF (opened before the rotation): the fetches below come over
  // a new one, i.e. with the renewed certificate, the only one the MEF accepts now.
  relay.SetMode(TcpProxy::Mode::kRefuse);
  relay.SetMode(TcpProxy::Mode::kForward);
  fetches = MefFetches(mp.ops);
  EXPECT_TRUE(Eventually([&] {
    AttemptUnknownKeId(fp.tls);
    return MefFetches(mp.ops) > fetches;
  })) << ReadFileOrEmpty(env.dir + "/maf.log");
  // The connection opened before the rotation (CA one's client certificate) is still served.
  EXPECT_TRUE(MafKeys(open_before));
  // Each process counts the reloads of both steps (its watchers poll on their own interval).
  EXPECT_TRUE(Eventually([&] { return MetricValue(mp.ops, "onem2m_cert_reloads_total") >= 2; }));
  EXPECT_TRUE(Eventually([&] { return MetricValue(fp.ops, "onem2m_cert_reloads_total") >= 2; }));
  EXPECT_EQ(MetricValue(mp.ops, "onem2m_cert_reload_errors_total"), 0);

  // A broken renewal of the MAF's key: refused, logged, counted; the MAF goes on with the old one.
  ASSERT_TRUE(
      WriteFileWithMode(env.dir + "/maf.key.tmp", ca2.Issue(kEnvMafFqdn).key_pem, 0600).ok());
  ASSERT_EQ(std::rename((env.dir + "/maf.key.tmp").c_str(), (env.dir + "/maf.key").c_str()), 0);
  EXPECT_TRUE(Eventually([&] {
    return MetricValue(fp.ops, "onem2m_cert_reload_errors_total") >= 1;
  })) << ReadFileOrEmpty(env.dir + "/maf.log");
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(env.dir + "/maf.log"), "tls_files_rejected"));
  EXPECT_TRUE(MafKeys(Dial(fp.key, target2, kEnvMafFqdn)));
  // Cut again: the MAF reconnects to the MEF with the files it kept.
  relay.SetMode(TcpProxy::Mode::kRefuse);
  relay.SetMode(TcpProxy::Mode::kForward);
  fetches = MefFetches(mp.ops);
  EXPECT_TRUE(Eventually([&] {
    AttemptUnknownKeId(fp.tls);
    return MefFetches(mp.ops) > fetches;
  }));
  EXPECT_TRUE(mef.Running());
  EXPECT_TRUE(maf.Running());
}

}  // namespace
}  // namespace onem2m::e2e
