// ThreadSanitizer annotations for the completion-queue hand-off of Debian's (uninstrumented) gRPC.
//
// A tag passed to gRPC with a batch or a call request comes back from a completion queue on
// whichever thread polls it; the code that owns the tag then reads and frees what the starting
// thread wrote (gRPC's header-only CallOpSet, compiled into our binaries and so instrumented,
// fills the batch and serialises the response on the starting thread, and finalises it on the
// popping one). libgrpc orders the two through its event queue's atomics, which TSan does not see,
// so it reports the free of the tag's call as racing with the serialisation (unary_batcher_test).
//
// This file, linked under `--config=tsan` only into the tests that poll completion queues from
// several threads, defines the libgrpc entry points of that hand-off itself (symbol
// interposition, as absl_sync_annotations.cc does for Abseil): each start is a release on its tag
// just before the real call puts the tag in gRPC's hands, and an event popped by Next or Pluck is
// an acquire on its tag just after. That is exactly gRPC's guarantee; nothing else is ordered.
#include <grpc/grpc.h>
#include <sanitizer/tsan_interface.h>

#include "tests/tsan/next_symbol.h"

namespace {

// Real looks up the next definition of `name` (the one in libgrpc).
template <typename Fn>
Fn Real(const char* name) {
  return onem2m::tsan::NextSymbol<Fn>(name, "grpc");
}

grpc_event Popped(grpc_event ev) {
  if (ev.type == GRPC_OP_COMPLETE) __tsan_acquire(ev.tag);
  return ev;
}

}  // namespace

extern "C" {

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops, size_t nops, void* tag,
                                      void* reserved) {
  static const auto real = Real<decltype(&grpc_call_start_batch)>("grpc_call_start_batch");
  __tsan_release(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_call_error grpc_server_request_call(grpc_server* server, grpc_call** call,
                                         grpc_call_details* details,
                                         grpc_metadata_array* request_metadata,
                                         grpc_completion_queue* cq_bound_to_call,
                                         grpc_completion_queue* cq_for_notification,
                                         void* tag_new) {
  static const auto real = Real<decltype(&grpc_server_request_call)>("grpc_server_request_call");
  __tsan_release(tag_new);
  return real(server, call, details, request_metadata, cq_bound_to_call, cq_for_notification,
              tag_new);
}

grpc_call_error grpc_server_request_registered_call(grpc_server* server, void* registered_method,
                                                    grpc_call** call, gpr_timespec* deadline,
                                                    grpc_metadata_array* request_metadata,
                                                    grpc_byte_buffer** optional_payload,
                                                    grpc_completion_queue* cq_bound_to_call,
                                                    grpc_completion_queue* cq_for_notification,
                                                    void* tag_new) {
  static const auto real =
      Real<decltype(&grpc_server_request_registered_call)>("grpc_server_request_registered_call");
  __tsan_release(tag_new);
  return real(server, registered_method, call, deadline, request_metadata, optional_payload,
              cq_bound_to_call, cq_for_notification, tag_new);
}

grpc_event grpc_completion_queue_next(grpc_completion_queue* cq, gpr_timespec deadline,
                                      void* reserved) {
  static const auto real =
      Real<decltype(&grpc_completion_queue_next)>("grpc_completion_queue_next");
  return Popped(real(cq, deadline, reserved));
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag, gpr_timespec deadline,
                                       void* reserved) {
  static const auto real =
      Real<decltype(&grpc_completion_queue_pluck)>("grpc_completion_queue_pluck");
  return Popped(real(cq, tag, deadline, reserved));
}

}  // extern "C"
