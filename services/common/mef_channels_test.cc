#include "services/common/mef_channels.h"

#include <grpc/grpc.h>
#include <grpc/impl/codegen/grpc_types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m::services {
namespace {

using ::testing::ElementsAre;
using ::testing::Key;

// IntArg and StringArg read one channel argument back (nullopt when it is not set).
std::optional<int> IntArg(const grpc::ChannelArguments& args, const std::string& key) {
  grpc_channel_args c;
  args.SetChannelArgs(&c);
  for (size_t i = 0; i < c.num_args; ++i) {
    if (key == c.args[i].key && c.args[i].type == GRPC_ARG_INTEGER) return c.args[i].value.integer;
  }
  return std::nullopt;
}

std::optional<std::string> StringArg(const grpc::ChannelArguments& args, const std::string& key) {
  grpc_channel_args c;
  args.SetChannelArgs(&c);
  for (size_t i = 0; i < c.num_args; ++i) {
    if (key == c.args[i].key && c.args[i].type == GRPC_ARG_STRING) return c.args[i].value.string;
  }
  return std::nullopt;
}

TEST(MefChannelArgsTest, SetsTheResolutionFloorAndKeepsTheBase) {
  grpc::ChannelArguments base;
  base.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  MefEndpoint ep{"mef.local", "dns:///mef:9443", ""};
  grpc::ChannelArguments args = MefChannelArgs(base, ep, absl::Milliseconds(200));
  EXPECT_EQ(IntArg(args, GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS), 200);
  EXPECT_EQ(IntArg(args, GRPC_ARG_KEEPALIVE_TIME_MS), 10000);
  EXPECT_EQ(StringArg(args, GRPC_SSL_TARGET_NAME_OVERRIDE_ARG), std::nullopt);
}

TEST(MefChannelArgsTest, TlsNameOverridesTheCertificateName) {
  MefEndpoint ep{"mef.local", "127.0.0.1:9443", "mef-credential.example.com"};
  grpc::ChannelArguments args = MefChannelArgs(grpc::ChannelArguments(), ep, absl::Seconds(30));
  EXPECT_EQ(StringArg(args, GRPC_SSL_TARGET_NAME_OVERRIDE_ARG), "mef-credential.example.com");
  EXPECT_EQ(IntArg(args, GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS), 30000);
}

TEST(MefChannelArgsTest, ResolutionFloorIsClampedToGrpcsRange) {
  MefEndpoint ep{"mef.local", "a:1", ""};
  EXPECT_EQ(IntArg(MefChannelArgs(grpc::ChannelArguments(), ep, absl::InfiniteDuration()),
                   GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS),
            INT32_MAX);
  EXPECT_EQ(IntArg(MefChannelArgs(grpc::ChannelArguments(), ep, -absl::Seconds(1)),
                   GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS),
            0);
}

TEST(DialMefEndpointsTest, OneLazyChannelPerMef) {
  // Nothing listens on these ports: channels connect only when used.
  std::vector<MefEndpoint> eps = {{"mef-a.local", "127.0.0.1:1", ""},
                                  {"mef-b.local", "ipv6:[::1]:1,[::1]:2", "b.local"}};
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels = DialMefEndpoints(
      eps, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(), absl::Seconds(1));
  EXPECT_THAT(channels, ElementsAre(Key("mef-a.local"), Key("mef-b.local")));
  for (const auto& [fqdn, channel] : channels) {
    ASSERT_NE(channel, nullptr) << fqdn;
    EXPECT_EQ(channel->GetState(/*try_to_connect=*/false), GRPC_CHANNEL_IDLE) << fqdn;
  }
}

}  // namespace
}  // namespace onem2m::services
