#include "common/ops/grpc_server_metrics.h"

#include <google/protobuf/descriptor.h>

#include <array>
#include <atomic>
#include <chrono>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/ops/handshake_metrics.h"

namespace onem2m::ops {
namespace {

using grpc::experimental::InterceptionHookPoints;

// gRPC's default health service is not built from protobuf descriptors (it encodes by hand), so
// its methods are listed here.
constexpr const char* kHealthMethods[] = {"/grpc.health.v1.Health/Check",
                                          "/grpc.health.v1.Health/Watch"};
constexpr int kCodes = 17;  // grpc::StatusCode OK .. UNAUTHENTICATED

// MethodSeries are one (server, method)'s series, looked up once and kept: the per-call cost is a
// map read and two atomic updates, not a label-set hash in the prometheus family.
struct MethodSeries {
  std::string method;  // the label
  prometheus::Histogram* seconds = nullptr;
  std::array<std::atomic<prometheus::Counter*>, kCodes> handled{};
};

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  // `server` is the factory's, which outlives every call of its server.
  MetricsInterceptor(MethodSeries* series, prometheus::Family<prometheus::Counter>* handled,
                     const std::string& server)
      : series_(series),
        handled_(handled),
        server_(server),
        start_(std::chrono::steady_clock::now()) {}

  ~MetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    series_->seconds->Observe(elapsed.count());
    int i = static_cast<int>(code);
    if (i < 0 || i >= kCodes) i = static_cast<int>(grpc::StatusCode::UNKNOWN);
    prometheus::Counter* c = series_->handled[i].load(std::memory_order_acquire);
    if (c == nullptr) {
      // Family::Add returns the same counter for the same labels, so racing first calls agree.
      c = &handled_->Add({{"server", server_},
                          {"method", series_->method},
                          {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(i))}});
      series_->handled[i].store(c, std::memory_order_release);
    }
    c->Increment();
  }

  MethodSeries* const series_;
  prometheus::Family<prometheus::Counter>* const handled_;
  const std::string& server_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(std::string server, prometheus::Family<prometheus::Counter>* handled,
                            prometheus::Family<prometheus::Histogram>* seconds)
      : server_(std::move(server)), handled_(handled), seconds_(seconds) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* raw = info->method() != nullptr ? info->method() : "";
    // A known method is its own label, so after its first call Find hits; an unknown one is looked
    // up each time and shares the "other" series.
    MethodSeries* series = Find(raw);
    if (series == nullptr) series = Insert(GrpcMethodLabel(raw));
    return new MetricsInterceptor(series, handled_, server_);
  }

 private:
  MethodSeries* Find(absl::string_view method) {
    absl::ReaderMutexLock lock(&mu_);
    auto it = series_.find(method);
    return it == series_.end() ? nullptr : it->second.get();
  }

  // Insert keys by label, so the map holds at most the known methods plus "other".
  MethodSeries* Insert(const std::string& label) {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<MethodSeries>& s = series_[label];
    if (s == nullptr) {
      s = std::make_unique<MethodSeries>();
      s->method = label;
      s->seconds = &seconds_->Add({{"server", server_}, {"method", label}}, LatencyBuckets());
    }
    return s.get();
  }

  const std::string server_;
  prometheus::Family<prometheus::Counter>* const handled_;
  prometheus::Family<prometheus::Histogram>* const seconds_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::string GrpcMethodLabel(const char* method) {
  const absl::string_view m = method != nullptr ? method : "";
  for (const char* h : kHealthMethods) {
    if (m == h) return std::string(m);
  }
  // "/pkg.Service/Method" -> "pkg.Service.Method", the descriptor's full name.
  std::vector<absl::string_view> parts = absl::StrSplit(m, '/');
  if (parts.size() != 3 || !parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return "other";
  }
  const google::protobuf::MethodDescriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrCat(parts[1], ".", parts[2]));
  return d != nullptr ? std::string(m) : "other";
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : handled_(prometheus::BuildCounter()
                   .Name("onem2m_grpc_server_handled_total")
                   .Help("gRPC calls answered by the services' servers, by server, method and "
                         "status code.")
                   .Register(registry)),
      seconds_(prometheus::BuildHistogram()
                   .Name("onem2m_grpc_server_handling_seconds")
                   .Help("gRPC call latency on the services' servers, from the call's start to "
                         "its status.")
                   .Register(registry)) {}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::NewInterceptorFactory(std::string server) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(server), &handled_, &seconds_);
}

}  // namespace onem2m::ops
