#include "common/ops/grpc_server_metrics.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <prometheus/text_serializer.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"

namespace onem2m::ops {
namespace {

constexpr char kGetKey[] = "/onem2m.rsp.v1.MafKeyService/GetKey";

// KeyService answers OK for key "known", NOT_FOUND otherwise.
class KeyService final : public rsp::v1::MafKeyService::Service {
  grpc::Status GetKey(grpc::ServerContext*, const rsp::v1::GetKeyRequest* request,
                      rsp::v1::GetKeyResponse*) override {
    if (request->key_id() == "known") return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such key");
  }
};

class GrpcServerMetricsTest : public testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(metrics_.NewInterceptorFactory("keys"));
    builder.experimental().SetInterceptorCreators(std::move(f));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status GetKey(const std::string& id) {
    auto stub = rsp::v1::MafKeyService::NewStub(channel_);
    grpc::ClientContext ctx;
    rsp::v1::GetKeyRequest req;
    req.set_key_id(id);
    rsp::v1::GetKeyResponse resp;
    return stub->GetKey(&ctx, req, &resp);
  }

  // Call sends a unary call to any method path, as a client may.
  grpc::Status Call(const std::string& method) {
    grpc::internal::RpcMethod m(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
    grpc::ClientContext ctx;
    rsp::v1::GetKeyRequest req;
    rsp::v1::GetKeyResponse resp;
    return grpc::internal::BlockingUnaryCall(channel_.get(), m, &ctx, req, &resp);
  }

  std::string Scrape() {
    prometheus::TextSerializer s;
    return s.Serialize(registry_.Collect());
  }

  prometheus::Registry registry_;
  GrpcServerMetrics metrics_{registry_};
  KeyService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcServerMetricsTest, CountsOkAndNotFoundByMethodAndTimesThem) {
  ASSERT_TRUE(GetKey("known").ok());
  ASSERT_TRUE(GetKey("known").ok());
  ASSERT_EQ(GetKey("missing").error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string text = Scrape();
  const std::string labels = std::string("method=\"") + kGetKey + "\",server=\"keys\"";
  EXPECT_NE(text.find("onem2m_grpc_server_handled_total{code=\"OK\"," + labels + "} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_grpc_server_handled_total{code=\"NOT_FOUND\"," + labels + "} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_grpc_server_handling_seconds_count{" + labels + "} 3"),
            std::string::npos)
      << text;
}

TEST_F(GrpcServerMetricsTest, UnknownMethodIsCountedAsOther) {
  // Method paths are the client's choice: none may become a label value of its own.
  ASSERT_EQ(Call("/attacker.Chosen/Name1").error_code(), grpc::StatusCode::UNIMPLEMENTED);
  ASSERT_EQ(Call("/attacker.Chosen/Name2").error_code(), grpc::StatusCode::UNIMPLEMENTED);
  const std::string text = Scrape();
  EXPECT_NE(text.find("onem2m_grpc_server_handled_total{code=\"UNIMPLEMENTED\",method=\"other\","
                      "server=\"keys\"} 2"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("attacker"), std::string::npos) << text;
}

TEST_F(GrpcServerMetricsTest, ConcurrentFirstCallsAgreeOnOneSeriesPerCode) {
  // Threads race to create each code's counter (MethodSeries' lazy pointers): every call must land
  // in the one series of its code.
  constexpr int kThreads = 8, kCalls = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kCalls; ++i) (void)GetKey((t + i) % 2 == 0 ? "known" : "missing");
    });
  }
  for (std::thread& t : threads) t.join();
  double ok = 0, not_found = 0;
  for (const auto& family : registry_.Collect()) {
    if (family.name != "onem2m_grpc_server_handled_total") continue;
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) {
        if (l.name != "code") continue;
        if (l.value == "OK") ok += m.counter.value;
        if (l.value == "NOT_FOUND") not_found += m.counter.value;
      }
    }
  }
  EXPECT_EQ(ok, kThreads * kCalls / 2);
  EXPECT_EQ(not_found, kThreads * kCalls / 2);
}

TEST(GrpcMethodLabelTest, KnownMethodsKeepTheirNameOthersAreOther) {
  EXPECT_EQ(GrpcMethodLabel(kGetKey), kGetKey);
  EXPECT_EQ(GrpcMethodLabel("/grpc.health.v1.Health/Check"), "/grpc.health.v1.Health/Check");
  EXPECT_EQ(GrpcMethodLabel("/onem2m.rsp.v1.MafKeyService/NoSuchMethod"), "other");
  EXPECT_EQ(GrpcMethodLabel("/onem2m.rsp.v1.MafKeyService"), "other");
  EXPECT_EQ(GrpcMethodLabel("onem2m.rsp.v1.MafKeyService/GetKey"), "other");
  EXPECT_EQ(GrpcMethodLabel(""), "other");
  EXPECT_EQ(GrpcMethodLabel(nullptr), "other");
}

}  // namespace
}  // namespace onem2m::ops
