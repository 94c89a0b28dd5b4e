// File: common/grpc/server_threads.h
//
// KeepServerThreads sizes a synchronous gRPC server's thread pool for handlers that block (on
// PostgreSQL, on a coalesced read). gRPC's default lets only two idle threads wait for calls, so
// under concurrent blocking calls it creates a thread for nearly every call and lets it exit
// afterwards: about 500 thread creations a second at 10,000 fetches/s. Allowing more idle pollers
// keeps the threads parked instead.
//
//   grpc::ServerBuilder builder;
//   grpcutil::KeepServerThreads(&builder);
#ifndef ONEM2M_COMMON_GRPC_SERVER_THREADS_H_
#define ONEM2M_COMMON_GRPC_SERVER_THREADS_H_

#include <grpcpp/grpcpp.h>

namespace onem2m::grpcutil {

inline constexpr int kMaxIdleServerThreads = 64;

inline void KeepServerThreads(grpc::ServerBuilder* builder,
                              int max_idle_threads = kMaxIdleServerThreads) {
  builder->SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder->SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                               max_idle_threads);
}

}  // namespace onem2m::grpcutil

#endif  // ONEM2M_COMMON_GRPC_SERVER_THREADS_H_
