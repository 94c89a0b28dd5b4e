#include "services/common/listener_options.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::onem2m::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ListenerFlags as the MEF's defaults give them.
ListenerFlags DefaultFlags() {
  ListenerFlags f;
  f.tls_listen = "[::]:8443";
  f.dtls_listen = "[::]:5684";
  f.require_sni = true;
  return f;
}

TEST(ParseListenerOptionsTest, DefaultsGiveAddressesAndProtocolDefaultSuites) {
  OptionOr<ListenerOptions> o = ParseListenerOptions(DefaultFlags());
  ASSERT_TRUE(o.ok()) << o.error().option << ": " << o.error().status;
  EXPECT_THAT(o->tls_listen, ElementsAre("[::]:8443"));
  EXPECT_THAT(o->dtls_listen, ElementsAre("[::]:5684"));
  EXPECT_THAT(o->tls_suites, IsEmpty());  // docs/protocol.md defaults
  EXPECT_THAT(o->dtls_suites, IsEmpty());
  EXPECT_TRUE(o->require_sni);
  EXPECT_FALSE(o->tls13.enabled);
  EXPECT_EQ(o->tls13.importer, tls::Tls13Importer::kOn);
  EXPECT_EQ(o->tls13.psk_mode, tls::Tls13PskMode::kDhe);
}

TEST(ParseListenerOptionsTest, CopiesNumbersDurationsAndSwitches) {
  ListenerFlags f = DefaultFlags();
  f.handshake_timeout = absl::Seconds(3);
  f.idle_timeout = absl::Seconds(7);
  f.io_threads = 4;
  f.max_sessions = 0;  // no cap
  f.max_sessions_per_source = 9;
  f.memory_budget_bytes = 1 << 20;
  f.coap_legacy_option_numbers = true;
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_TRUE(o.ok()) << o.error().status;
  EXPECT_EQ(o->handshake_timeout, absl::Seconds(3));
  EXPECT_EQ(o->idle_timeout, absl::Seconds(7));
  EXPECT_EQ(o->io_threads, 4);
  EXPECT_EQ(o->max_sessions, 0);
  EXPECT_EQ(o->max_sessions_per_source, 9);
  EXPECT_EQ(o->memory_budget_bytes, 1 << 20);
  EXPECT_TRUE(o->exchange.coap_legacy_option_numbers);
}

TEST(ParseListenerOptionsTest, EmptyAddressListsTurnAListenerOff) {
  ListenerFlags f = DefaultFlags();
  f.tls_listen = "";
  f.dtls_listen = "127.0.0.1:0,[::1]:0";
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_TRUE(o.ok()) << o.error().status;
  EXPECT_THAT(o->tls_listen, IsEmpty());
  EXPECT_THAT(o->dtls_listen, ElementsAre("127.0.0.1:0", "[::1]:0"));
}

TEST(ParseListenerOptionsTest, KeepsSuitesInPreferenceOrder) {
  ListenerFlags f = DefaultFlags();
  f.tls_suites = "TLS_PSK_WITH_AES_128_CCM_8,TLS_PSK_WITH_AES_128_CBC_SHA256";
  f.dtls_suites = "TLS_PSK_WITH_AES_128_CCM_8";
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_TRUE(o.ok()) << o.error().status;
  ASSERT_EQ(o->tls_suites.size(), 2u);
  ASSERT_EQ(o->dtls_suites.size(), 1u);
  EXPECT_EQ(o->tls_suites[0].id, 0xC0A8);  // TLS_PSK_WITH_AES_128_CCM_8
  EXPECT_EQ(o->tls_suites[1].id, 0x00AE);  // TLS_PSK_WITH_AES_128_CBC_SHA256
  EXPECT_EQ(o->dtls_suites[0].id, o->tls_suites[0].id);
}

TEST(ParseListenerOptionsTest, BadSuiteNamesItsFlag) {
  ListenerFlags f = DefaultFlags();
  f.tls_suites = "TLS_NOT_A_SUITE";
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().option, "tls_suites");
  EXPECT_THAT(o.error().status, StatusIs(absl::StatusCode::kInvalidArgument));

  f = DefaultFlags();
  f.dtls_suites = "TLS_PSK_WITH_AES_128_CCM_8,TLS_PSK_WITH_AES_128_CCM_8";  // duplicate
  o = ParseListenerOptions(f);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().option, "dtls_suites");
}

TEST(ParseListenerOptionsTest, SuitesFlagOfOnlyCommasIsAnError) {
  // Empty means the defaults; a value that lists nothing is a mistake, not the defaults.
  ListenerFlags f = DefaultFlags();
  f.tls_suites = ",";
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().option, "tls_suites");
}

TEST(ParseListenerOptionsTest, Tls13FlagsAreParsed) {
  ListenerFlags f = DefaultFlags();
  f.tls13 = true;
  f.tls13_importer = "both";
  f.tls13_psk_mode = "ke";
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_TRUE(o.ok()) << o.error().status;
  EXPECT_TRUE(o->tls13.enabled);
  EXPECT_EQ(o->tls13.importer, tls::Tls13Importer::kBoth);
  EXPECT_EQ(o->tls13.psk_mode, tls::Tls13PskMode::kKe);
}

TEST(ParseListenerOptionsTest, BadTls13ValuesNameTheirFlag) {
  ListenerFlags f = DefaultFlags();
  f.tls13_importer = "maybe";
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().option, "tls13_importer");

  f = DefaultFlags();
  f.tls13_psk_mode = "psk";
  o = ParseListenerOptions(f);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().option, "tls13_psk_mode");
}

TEST(ParseListenerOptionsTest, BadAddressNamesItsFlagAndQuotesIt) {
  for (const char* bad : {"8443", "host.example.com:8443", "[::1]:99999", "127.0.0.1:x"}) {
    SCOPED_TRACE(bad);
    ListenerFlags f = DefaultFlags();
    f.dtls_listen = std::string("127.0.0.1:0,") + bad;
    OptionOr<ListenerOptions> o = ParseListenerOptions(f);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error().option, "dtls_listen");
    EXPECT_THAT(o.error().status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad)));
  }
  ListenerFlags f = DefaultFlags();
  f.tls_listen = "[::]:8443, [::1]:1";  // a space is not trimmed
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().option, "tls_listen");
}

TEST(ParseListenerOptionsTest, LocalhostIsAnAddress) {
  ListenerFlags f = DefaultFlags();
  f.tls_listen = "localhost:0";
  EXPECT_TRUE(ParseListenerOptions(f).ok());
}

TEST(ParseListenerOptionsTest, SuitesAreCheckedBeforeAddresses) {
  // The order of checks decides which fault start-up names when several flags are bad.
  ListenerFlags f = DefaultFlags();
  f.tls_listen = "nonsense";
  f.tls_suites = "nonsense";
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().option, "tls_suites");
}

// Two server option structs with the listener fields, as mef::BootstrapServerOptions and
// maf::HandshakeServerOptions have them, plus one field of their own.
struct FakeServerOptions {
  std::string own = "kept";
  bool require_sni = false;
  std::vector<std::string> tls_listen;
  std::vector<std::string> dtls_listen;
  std::vector<tls::CipherSuite> tls_suites;
  std::vector<tls::CipherSuite> dtls_suites;
  tls::Tls13Options tls13;
  absl::Duration handshake_timeout;
  absl::Duration idle_timeout;
  int io_threads = 0;
  int max_sessions = 0;
  int max_sessions_per_source = 0;
  int64_t memory_budget_bytes = 0;
  server::ExchangeOptions exchange;
};

TEST(ApplyListenerOptionsTest, CopiesEveryListenerFieldAndLeavesTheRest) {
  ListenerFlags f = DefaultFlags();
  f.tls_suites = "TLS_PSK_WITH_AES_128_GCM_SHA256";
  f.tls13 = true;
  f.io_threads = 3;
  f.max_sessions = 5;
  f.max_sessions_per_source = 6;
  f.memory_budget_bytes = 7;
  f.coap_legacy_option_numbers = true;
  OptionOr<ListenerOptions> o = ParseListenerOptions(f);
  ASSERT_TRUE(o.ok()) << o.error().status;
  FakeServerOptions out;
  ApplyListenerOptions(*o, &out);
  EXPECT_EQ(out.own, "kept");
  EXPECT_TRUE(out.require_sni);
  EXPECT_THAT(out.tls_listen, ElementsAre("[::]:8443"));
  EXPECT_THAT(out.dtls_listen, ElementsAre("[::]:5684"));
  ASSERT_EQ(out.tls_suites.size(), 1u);
  EXPECT_THAT(out.dtls_suites, IsEmpty());
  EXPECT_TRUE(out.tls13.enabled);
  EXPECT_EQ(out.handshake_timeout, absl::Seconds(10));
  EXPECT_EQ(out.idle_timeout, absl::Seconds(30));
  EXPECT_EQ(out.io_threads, 3);
  EXPECT_EQ(out.max_sessions, 5);
  EXPECT_EQ(out.max_sessions_per_source, 6);
  EXPECT_EQ(out.memory_budget_bytes, 7);
  EXPECT_TRUE(out.exchange.coap_legacy_option_numbers);
}

}  // namespace
}  // namespace onem2m::services
