// Tests that a MEF on an ephemeral DTLS port never shares it with other UDP servers of the same
// user, so the device always reaches its own MEF (common/net/socket_util.cc BindUdp).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/exchange/message.h"
#include "common/net/socket_util.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_resolver.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/testing/fake_mef.h"
#include "gtest/gtest.h"

namespace onem2m::enrolee {
namespace {

// ForeignUdpServers holds UDP sockets bound to 127.0.0.1:0 with SO_REUSEADDR and SO_REUSEPORT, as
// other test processes' DTLS servers on the host did (the kernel cannot tell another process of
// the same uid from this one). They never answer.
class ForeignUdpServers {
 public:
  void Open(int n) {
    net::RaiseFdLimit();
    int one = 1;
    for (int i = 0; i < n; ++i) {
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ASSERT_GE(fd, 0);
      fds_.push_back(fd);
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
      socklen_t len = sizeof(a);
      ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
      ports_.insert(ntohs(a.sin_port));
    }
  }
  ~ForeignUdpServers() {
    for (int fd : fds_) close(fd);
  }
  bool Holds(int port) const { return ports_.contains(port); }

 private:
  std::vector<int> fds_;
  absl::flat_hash_set<int> ports_;
};

// The DTLS cases of bootstrap_client_test.cc used to fail now and then with "alert received:
// unrecognized name": the fake MEF's DTLS socket asked for 127.0.0.1:0 with SO_REUSEADDR and
// SO_REUSEPORT set, Linux's UDP port search then counts a port held only by such sockets of the
// same user as free, and the kernel shared the MEF's port with another test process's DTLS server
// (one requiring another SNI), handing it some of the device's datagrams. A real device would meet
// the same foreign server. With 4000 foreign sockets (~13% of the ephemeral ports) about one MEF
// start in ten landed on one of them before the fix (common/net/socket_util.cc BindUdp), so 100
// starts all missed them with probability below 1e-4; now none does, and the device reaches its own
// MEF.
TEST(BootstrapHostTest, DtlsMefOnAnEphemeralPortNeverSharesItWithAnotherServer) {
  ForeignUdpServers foreign;
  ASSERT_NO_FATAL_FAILURE(foreign.Open(4000));
  FakeMefFactory factory;
  factory.answer = [](const std::string& ke_id, const exchange::Request&) {
    return GoodAnswer(ke_id);
  };
  auto resolver = std::make_shared<tls::FunctionPskResolver>(
      [](absl::string_view id) -> absl::StatusOr<SecretBytes> {
        if (id == kKpmId) return Kpm();
        return absl::NotFoundError("unknown");
      });
  tls::ServerOptions so;
  so.transport = tls::Transport::kDtls;
  so.required_server_name = kMefFqdn;
  auto ctx = tls::PskContext::NewServer(so, resolver);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  int shared_ports = 0;
  for (int i = 0; i < 100; ++i) {
    server::PskServerOptions o;
    o.dtls_listen = {"127.0.0.1:0"};
    o.dtls_context = *ctx;
    o.io_threads = 2;  // the second thread's socket joins the port the first one got
    auto mef = server::PskServer::Start(o, &factory, nullptr);
    ASSERT_TRUE(mef.ok()) << mef.status();
    int port = (*mef)->dtls_addresses()[0].port();
    if (foreign.Holds(port)) ++shared_ports;
    if (i % 25 == 0 && !foreign.Holds(port)) {
      BootstrapOptions b;
      b.mef_host = "127.0.0.1";
      b.mef_port = port;
      b.mef_fqdn = kMefFqdn;
      b.transport = tls::Transport::kDtls;
      b.kpm_id = kKpmId;
      b.kpm = Kpm();
      b.attempt_timeout = absl::Seconds(5);
      auto r = Bootstrap(b);
      EXPECT_TRUE(r.ok()) << r.status();
    }
    (*mef)->Shutdown(absl::ZeroDuration());
  }
  EXPECT_EQ(shared_ports, 0);
}

}  // namespace
}  // namespace onem2m::enrolee
