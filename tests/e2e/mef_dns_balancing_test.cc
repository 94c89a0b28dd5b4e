// End-to-end test with the real binaries: the MAF's channel to the MEF balances over every address
// that the DNS name of the MEF's headless Service returns (dns:/// target, round robin), and a MEF
// replica added while the MAF runs starts receiving credential fetches. The MEFs close connections
// after --grpc_max_connection_age, which makes the MAF resolve the name again.
//
// A FakeDns on loopback plays the headless Service: it answers 127.0.0.2 at first, then 127.0.0.2
// and 127.0.0.3 once the second MEF runs. Devices attempt the MAF Handshake with fresh KeIDs the
// MEFs do not know (memory stores), so every attempt makes the MAF fetch from a MEF
// (docs/protocol.md 6-7) and fail; each MEF's onem2m_mef_credential_fetches_total shows where the
// fetches went. Without the connection age (--grpc_max_connection_age=inf) no fetch reaches the
// second MEF: the channel never asks DNS again. Loopback only.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/wait_for.h"
#include "gtest/gtest.h"
#include "tests/e2e/fake_dns.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"

namespace onem2m::e2e {
namespace {

constexpr char kHeadless[] = "mef-headless.test";

TEST(MefDnsBalancingTest, FetchesReachAMefReplicaStartedLater) {
  ServiceEnv env = ServiceEnv::Create("mef_dns");
  FakeDns dns(kHeadless);
  dns.SetAddresses({"127.0.0.2"});
  // Both MEF replicas use the same credential port on their own loopback address, as pods behind
  // one headless Service do.
  MefPorts mef1 = MefPorts::Pick();
  mef1.host = "127.0.0.2";
  MefPorts mef2 = MefPorts::Pick();
  mef2.host = "127.0.0.3";
  mef2.cred = mef1.cred;
  const std::vector<std::string> mef_flags = {"--store=memory", "--grpc_max_connection_age=1s",
                                              "--grpc_max_connection_age_grace=1s"};
  ChildProcess p1, p2, maf;
  ASSERT_TRUE(p1.Start(env.MefArgv(mef1, mef_flags), env.dir + "/mef1.out", env.dir + "/mef1.log")
                  .ok());
  ASSERT_TRUE(WaitReady(p1, mef1.ops, env.dir + "/mef1.log", "mef_started").ok())
      << ReadFileOrEmpty(env.dir + "/mef1.log");

  MafPorts mp = MafPorts::Pick();
  const std::string endpoint = absl::StrCat(kEnvMefFqdn, "=dns://127.0.0.1:", dns.port(), "/",
                                            kHeadless, ":", mef1.cred, "@", kEnvMefCertName);
  ASSERT_TRUE(maf.Start(env.MafArgv(mp, endpoint, {"--store=memory", "--mef_resolve_interval=200ms"}),
                        env.dir + "/maf.out", env.dir + "/maf.log")
                  .ok());
  ASSERT_TRUE(WaitReady(maf, mp.ops, env.dir + "/maf.log", "maf_started").ok())
      << ReadFileOrEmpty(env.dir + "/maf.log");

  for (int i = 0; i < 5; ++i) AttemptUnknownKeId(mp.tls);
  EXPECT_GE(MefFetches(mef1.ops), 5) << ReadFileOrEmpty(env.dir + "/maf.log");
  EXPECT_GT(dns.queries(), 0);

  // The autoscaler adds a replica; the headless Service now lists both.
  ASSERT_TRUE(p2.Start(env.MefArgv(mef2, mef_flags), env.dir + "/mef2.out", env.dir + "/mef2.log")
                  .ok());
  ASSERT_TRUE(WaitReady(p2, mef2.ops, env.dir + "/mef2.log", "mef_started").ok())
      << ReadFileOrEmpty(env.dir + "/mef2.log");
  dns.SetAddresses({"127.0.0.2", "127.0.0.3"});

  // Within a few connection ages the MAF re-resolves and round robin sends fetches to both.
  const bool reached = ::onem2m::testing::WaitFor(
      [&] {
        AttemptUnknownKeId(mp.tls);
        return MefFetches(mef2.ops) > 0;
      },
      absl::Seconds(30), absl::Milliseconds(200));
  ASSERT_TRUE(reached) << "no fetch reached the MEF started later\n"
                       << ReadFileOrEmpty(env.dir + "/maf.log");
  // From then on both replicas share the fetches.
  const double start1 = MefFetches(mef1.ops), start2 = MefFetches(mef2.ops);
  for (int i = 0; i < 10; ++i) AttemptUnknownKeId(mp.tls);
  EXPECT_GT(MefFetches(mef1.ops), start1);
  EXPECT_GT(MefFetches(mef2.ops), start2);
  EXPECT_GE(MefFetches(mef1.ops) + MefFetches(mef2.ops) - start1 - start2, 10);
}

}  // namespace
}  // namespace onem2m::e2e
