#include "services/enrolee/client_transport.h"

#include "absl/status/status.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::onem2m::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseClientTransportTest, TlsAndDtls) {
  absl::StatusOr<ClientTransport> t = ParseClientTransport({"tls", false, "on", "dhe"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->transport, tls::Transport::kTls);
  EXPECT_FALSE(t->tls13.enabled);
  t = ParseClientTransport({"dtls", false, "on", "dhe"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->transport, tls::Transport::kDtls);
}

TEST(ParseClientTransportTest, UnknownTransportIsRefused) {
  EXPECT_THAT(ParseClientTransport({"udp", false, "on", "dhe"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "--transport must be tls or dtls"));
}

TEST(ParseClientTransportTest, Tls13OptionsAreReadOnlyWithTls13) {
  // Bad TLS 1.3 values do not matter while --tls13 is off.
  EXPECT_TRUE(ParseClientTransport({"dtls", false, "x", "y"}).ok());

  absl::StatusOr<ClientTransport> t = ParseClientTransport({"tls", true, "off", "ke"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->tls13.enabled);
  EXPECT_EQ(t->tls13.importer, tls::Tls13Importer::kOff);
  EXPECT_EQ(t->tls13.psk_mode, tls::Tls13PskMode::kKe);
}

TEST(ParseClientTransportTest, Tls13NeedsTls) {
  EXPECT_THAT(ParseClientTransport({"dtls", true, "on", "dhe"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "--tls13 needs --transport=tls"));
}

TEST(ParseClientTransportTest, DeviceOffersOneIdentityForm) {
  for (const char* importer : {"both", "maybe"}) {
    EXPECT_THAT(ParseClientTransport({"tls", true, importer, "dhe"}),
                StatusIs(absl::StatusCode::kInvalidArgument, "--tls13_importer must be on or off"))
        << importer;
  }
}

TEST(ParseClientTransportTest, BadPskModeNamesItsFlag) {
  EXPECT_THAT(ParseClientTransport({"tls", true, "on", "psk"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls13_psk_mode: ")));
}

}  // namespace
}  // namespace onem2m::services
