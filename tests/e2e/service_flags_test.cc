// End-to-end test with the real mef_server binary: optional ports may be turned off. A MEF that
// serves only its bootstrap listeners (no credential or admin gRPC port) starts, reports ready and
// drains on SIGTERM with exit code 0. Memory store, loopback ports only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process_runner.h"
#include "tests/e2e/service_env.h"

namespace onem2m::e2e {
namespace {

TEST(ServiceFlagsTest, MefWithoutGrpcPortsStartsAndDrains) {
  const std::string dir = NewTempDir("service_flags");
  // A one-entry keyring (version 1, 32 random-looking bytes), readable by the owner only.
  ASSERT_TRUE(WriteFileWithMode(dir + "/mef.kek", "1:" + std::string(64, 'a') + "\n", 0600).ok());
  const int ops = PickFreePort();
  ChildProcess mef;
  const std::string log = dir + "/mef.log";
  ASSERT_TRUE(
      mef.Start({RunfilePath("services/mef/mef_server"), "--mef_fqdn=mef.local", "--store=memory",
                 "--kek_file=" + dir + "/mef.kek", "--tls_listen=127.0.0.1:0",
                 "--dtls_listen=127.0.0.1:0", "--credential_grpc_listen=", "--admin_grpc_listen=",
                 absl::StrCat("--ops_listen=127.0.0.1:", ops), "--grace_period=1s"},
                dir + "/mef.out", log)
          .ok());
  const bool ready = WaitReady(mef, ops, log, "mef_started").ok();
  ASSERT_TRUE(ready) << ReadFileOrEmpty(log);
  const int status = mef.Stop(absl::Seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n"
                                                             << ReadFileOrEmpty(log);
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(log), "mef_stopped")) << ReadFileOrEmpty(log);
}

// A MEF-FQDN over 223 bytes would make every KeID longer than OpenSSL's 256-byte psk_identity:
// the MEF refuses to start with it (docs/protocol.md 2) and accepts 223 bytes.
TEST(ServiceFlagsTest, MefRefusesAnFqdnThatMakesKeIdsTooLong) {
  const std::string dir = NewTempDir("service_flags_fqdn");
  ASSERT_TRUE(WriteFileWithMode(dir + "/mef.kek", "1:" + std::string(64, 'a') + "\n", 0600).ok());
  // Labels of 63 'a's joined by dots: 4 labels = 255 bytes; cut to exactly n bytes, ending in a
  // letter.
  auto fqdn_of = [](size_t n) {
    std::string f;
    while (f.size() < n) f += (f.empty() ? "" : ".") + std::string(63, 'a');
    f.resize(n);
    if (f.back() == '.') f.back() = 'b';
    return f;
  };
  for (size_t n : {size_t{224}, size_t{223}}) {
    SCOPED_TRACE(n);
    const int ops = PickFreePort();
    ChildProcess mef;
    const std::string log = absl::StrCat(dir, "/mef-", n, ".log");
    ASSERT_TRUE(
        mef.Start({RunfilePath("services/mef/mef_server"), "--mef_fqdn=" + fqdn_of(n),
                   "--store=memory", "--kek_file=" + dir + "/mef.kek", "--tls_listen=127.0.0.1:0",
                   "--dtls_listen=127.0.0.1:0", "--credential_grpc_listen=", "--admin_grpc_listen=",
                   absl::StrCat("--ops_listen=127.0.0.1:", ops), "--grace_period=1s"},
                  dir + "/mef.out", log)
            .ok());
    const bool ready = WaitReady(mef, ops, log, "mef_started").ok();
    const int status = mef.Stop(absl::Seconds(10));
    if (n == 224) {
      EXPECT_FALSE(ready);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
      EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(log), "psk_identity")) << ReadFileOrEmpty(log);
    } else {
      EXPECT_TRUE(ready) << ReadFileOrEmpty(log);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
  }
}

// A bad MAF URI is refused at start-up naming its own flag (not the listener flags): exit code 2
// and "mef_server: --maf_key_retrieval_uri: ..." on stderr.
TEST(ServiceFlagsTest, MefNamesTheBadMafUriFlag) {
  const std::string dir = NewTempDir("service_flags_uri");
  ASSERT_TRUE(WriteFileWithMode(dir + "/mef.kek", "1:" + std::string(64, 'a') + "\n", 0600).ok());
  const CommandResult r =
      RunCommand({RunfilePath("services/mef/mef_server"), "--mef_fqdn=mef.local", "--store=memory",
                  "--kek_file=" + dir + "/mef.kek", "--tls_listen=127.0.0.1:0",
                  "--dtls_listen=127.0.0.1:0", "--credential_grpc_listen=", "--admin_grpc_listen=",
                  "--ops_listen=", "--maf_key_retrieval_uri=not a uri"},
                 dir, absl::Seconds(20));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "mef_server: --maf_key_retrieval_uri: ")) << r.output;
}

// A port another server already listens on (here a SO_REUSEPORT UDP socket of this same user,
// which Linux would let a new reuseport group join and split the datagrams with) is refused at
// start-up naming the listener flags, so no DTLS peer is ever answered by the wrong process.
TEST(ServiceFlagsTest, MefRefusesADtlsPortAnotherServerHolds) {
  const std::string dir = NewTempDir("service_flags_port");
  ASSERT_TRUE(WriteFileWithMode(dir + "/mef.kek", "1:" + std::string(64, 'a') + "\n", 0600).ok());
  const int held = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(held, 0);
  int one = 1;
  ASSERT_EQ(setsockopt(held, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(held, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ASSERT_EQ(getsockname(held, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);

  const CommandResult r =
      RunCommand({RunfilePath("services/mef/mef_server"), "--mef_fqdn=mef.local", "--store=memory",
                  "--kek_file=" + dir + "/mef.kek", "--tls_listen=127.0.0.1:0",
                  absl::StrCat("--dtls_listen=127.0.0.1:", port),
                  "--credential_grpc_listen=", "--admin_grpc_listen=", "--ops_listen="},
                 dir, absl::Seconds(20));
  close(held);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "--tls_listen/dtls_listen: ")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, absl::StrCat("127.0.0.1:", port))) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "in use")) << r.output;
}

}  // namespace
}  // namespace onem2m::e2e
