#include "services/common/mef_endpoints.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::onem2m::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseMefEndpointTest, HostPortTarget) {
  absl::StatusOr<MefEndpoint> ep = ParseMefEndpoint("mef.example.com=mef-cred.example.com:9443");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->mef_fqdn, "mef.example.com");
  EXPECT_EQ(ep->target, "mef-cred.example.com:9443");
  EXPECT_EQ(ep->tls_name, "");
}

TEST(ParseMefEndpointTest, DnsTargetOfAHeadlessServiceIsKept) {
  absl::StatusOr<MefEndpoint> ep =
      ParseMefEndpoint("mef.example.com=dns:///mef-credential-headless.ns.svc:9443");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "dns:///mef-credential-headless.ns.svc:9443");
  EXPECT_EQ(ep->tls_name, "");
}

TEST(ParseMefEndpointTest, TlsNameAfterTheLastAt) {
  absl::StatusOr<MefEndpoint> ep =
      ParseMefEndpoint("mef.local=dns:///mef-headless:9443@mef-credential.example.com");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "dns:///mef-headless:9443");
  EXPECT_EQ(ep->tls_name, "mef-credential.example.com");
}

TEST(ParseMefEndpointTest, BracketedIpv6Target) {
  absl::StatusOr<MefEndpoint> ep = ParseMefEndpoint("mef.local=[::1]:9443@localhost");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "[::1]:9443");
  EXPECT_EQ(ep->tls_name, "localhost");
}

TEST(ParseMefEndpointTest, Ipv4ReplicasBecomeOneBalancedTarget) {
  absl::StatusOr<MefEndpoint> ep = ParseMefEndpoint("mef.local=10.0.0.1:9443|10.0.0.2:9443");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "ipv4:10.0.0.1:9443,10.0.0.2:9443");
}

TEST(ParseMefEndpointTest, Ipv6ReplicasKeepTheirBrackets) {
  absl::StatusOr<MefEndpoint> ep =
      ParseMefEndpoint("mef.local=[fd00::1]:9443|[fd00::2]:9443@mef.example.com");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "ipv6:[fd00::1]:9443,[fd00::2]:9443");
  EXPECT_EQ(ep->tls_name, "mef.example.com");
}

TEST(ParseMefEndpointTest, LocalhostReplicaIsWrittenAsItsAddress) {
  // gRPC's ipv4: scheme takes numeric addresses only.
  absl::StatusOr<MefEndpoint> ep = ParseMefEndpoint("mef.local=localhost:1|127.0.0.1:2|");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "ipv4:127.0.0.1:1,127.0.0.1:2");
}

TEST(ParseMefEndpointTest, MalformedEntriesAreRefusedQuotingThem) {
  for (const char* bad : {"mef.local", "=host:1", "mef.local=", "mef.local=@name"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseMefEndpoint(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("'", bad, "': entries must be mef_fqdn=target"))));
  }
}

TEST(ParseMefEndpointTest, MefFqdnMustBeAnFqdn) {
  EXPECT_THAT(ParseMefEndpoint("MEF.Local=host:1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseMefEndpoint("mef..local=host:1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseMefEndpointTest, ReplicasMustBeNumericAddressesWithPorts) {
  EXPECT_THAT(
      ParseMefEndpoint("mef.local=mef-1:9443|mef-2:9443"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("'mef-1:9443': replicas joined with '|' must be numeric ip:port")));
  EXPECT_THAT(ParseMefEndpoint("mef.local=10.0.0.1|10.0.0.2:1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'10.0.0.1'")));
  EXPECT_THAT(ParseMefEndpoint("mef.local=||"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be numeric ip:port")));
}

TEST(ParseMefEndpointTest, ReplicasMustShareOneFamily) {
  EXPECT_THAT(
      ParseMefEndpoint("mef.local=10.0.0.1:1|[fd00::1]:1"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must all be IPv4 or all IPv6")));
}

TEST(ParseMefEndpointsTest, ReadsACommaList) {
  OptionOr<std::vector<MefEndpoint>> eps =
      ParseMefEndpoints("mef-a.example.com=a:1,mef-b.example.com=[::1]:2|[::1]:3@b.example.com");
  ASSERT_TRUE(eps.ok()) << eps.error().status;
  ASSERT_EQ(eps->size(), 2u);
  EXPECT_EQ((*eps)[0].mef_fqdn, "mef-a.example.com");
  EXPECT_EQ((*eps)[0].target, "a:1");
  EXPECT_EQ((*eps)[1].mef_fqdn, "mef-b.example.com");
  EXPECT_EQ((*eps)[1].target, "ipv6:[::1]:2,[::1]:3");
  EXPECT_EQ((*eps)[1].tls_name, "b.example.com");
}

TEST(ParseMefEndpointsTest, EmptyListIsRequired) {
  for (const char* empty : {"", " ", ",,"}) {
    OptionOr<std::vector<MefEndpoint>> eps = ParseMefEndpoints(empty);
    ASSERT_FALSE(eps.ok()) << empty;
    EXPECT_EQ(eps.error().option, "mef_endpoints");
    EXPECT_THAT(eps.error().status, StatusIs(absl::StatusCode::kInvalidArgument, "required"));
  }
}

TEST(ParseMefEndpointsTest, AMefListedTwiceIsRefused) {
  OptionOr<std::vector<MefEndpoint>> eps = ParseMefEndpoints("mef.local=a:1,mef.local=b:2");
  ASSERT_FALSE(eps.ok());
  EXPECT_EQ(eps.error().option, "mef_endpoints");
  EXPECT_THAT(eps.error().status, StatusIs(absl::StatusCode::kInvalidArgument,
                                           "mef.local is listed twice; join replicas with '|'"));
}

TEST(ParseMefEndpointsTest, ABadEntryNamesTheOption) {
  OptionOr<std::vector<MefEndpoint>> eps = ParseMefEndpoints("mef.local=a:1,nonsense");
  ASSERT_FALSE(eps.ok());
  EXPECT_EQ(eps.error().option, "mef_endpoints");
  EXPECT_THAT(eps.error().status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'nonsense'")));
}

}  // namespace
}  // namespace onem2m::services
