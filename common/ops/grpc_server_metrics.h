// File: common/ops/grpc_server_metrics.h
//
// GrpcServerMetrics counts and times every call on the services' gRPC servers with a server
// interceptor, exporting:
//   onem2m_grpc_server_handled_total{server,method,code}   calls answered, by status code
//   onem2m_grpc_server_handling_seconds{server,method}     from the call's start to its status
// `server` is the port's name given by the caller ("credential", "admin", "keys"); `code` is the
// canonical code name ("OK", "NOT_FOUND"); `method` is the full method name ("/pkg.Service/Method")
// only when it is a method this binary knows (compiled into it, or gRPC's health checking), else
// "other": a client chooses the method path, so the label values stay bounded whatever it sends.
// A call that ends without a status being sent (the client cancelled) counts as CANCELLED.
//
//   GrpcServerMetrics metrics(*registry);
//   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
//   f.push_back(metrics.NewInterceptorFactory("credential"));
//   builder.experimental().SetInterceptorCreators(std::move(f));
//
// Thread safety: the interceptors run on any gRPC thread; the metrics must outlive the servers
// using their factories.
#ifndef ONEM2M_COMMON_OPS_GRPC_SERVER_METRICS_H_
#define ONEM2M_COMMON_OPS_GRPC_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace onem2m::ops {

// GrpcMethodLabel returns `method` ("/pkg.Service/Method") if it names a method of a service in
// the binary's generated protobuf descriptors or of grpc.health.v1.Health, else "other".
std::string GrpcMethodLabel(const char* method);

class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // NewInterceptorFactory returns the interceptor factory for one server, labelled `server`.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory(
      std::string server);

 private:
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
};

}  // namespace onem2m::ops

#endif  // ONEM2M_COMMON_OPS_GRPC_SERVER_METRICS_H_
