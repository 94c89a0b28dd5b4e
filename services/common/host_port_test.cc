#include "services/common/host_port.h"

#include "absl/status/status.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::onem2m::testing::StatusIs;

TEST(SplitHostPortTest, NameAddressAndBracketedIpv6) {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c :
       {Case{"mef.example.com:8443", "mef.example.com", 8443},
        Case{"127.0.0.1:5684", "127.0.0.1", 5684}, Case{"[::1]:8444", "::1", 8444},
        Case{"[fd00::1]:1", "fd00::1", 1}, Case{"localhost:65535", "localhost", 65535}}) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<HostPort> hp = SplitHostPort(c.text);
    ASSERT_TRUE(hp.ok()) << hp.status();
    EXPECT_EQ(hp->host, c.host);
    EXPECT_EQ(hp->port, c.port);
  }
}

TEST(SplitHostPortTest, BadInputsAreRefused) {
  for (const char* bad : {"", "host", "host:", "host:x", "host:0", "host:65536", "host:-1", ":8443",
                          "[]:8443", "[::1]"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(SplitHostPort(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace onem2m::services
