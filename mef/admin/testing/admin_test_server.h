// File: mef/admin/testing/admin_test_server.h
//
// AdminTestServer runs a real MefAdminService for tests: a gRPC server on 127.0.0.1:0 with mutual
// TLS from a throwaway CA (common/testing/test_pki.h), over a MemoryEnroleeStore or, when
// ONEM2M_TEST_PG is set, a PgEnroleeStore in a fresh schema, with a freshly generated KEK. Audit
// records go to a file in the test's temporary folder so tests can inspect them.
//
//   absl::StatusOr<std::unique_ptr<AdminTestServer>> server = AdminTestServer::Start("memory");
//   auto stub = (*server)->NewStub("ops.example.com");     // a client cert for that DNS name
//   grpc::ClientContext ctx;
//   stub->GetEnrolee(&ctx, request, &response);
#ifndef ONEM2M_MEF_ADMIN_TESTING_ADMIN_TEST_SERVER_H_
#define ONEM2M_MEF_ADMIN_TESTING_ADMIN_TEST_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "common/crypto/envelope.h"
#include "common/grpc/mtls.h"
#include "common/pg/test_schema.h"
#include "common/testing/test_pki.h"
#include "mef/admin/envelope_kpm_sealer.h"
#include "mef/admin/mef_admin_service.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"

namespace onem2m {
namespace mef {
namespace testing {

// The identity AdminTestServer puts in the admin allow-list.
inline constexpr char kAdminIdentity[] = "ops.example.com";

class AdminTestServer {
 public:
  // Wrap lets a test interpose on the store (e.g. to inject failures); it receives the real store.
  using Wrap = std::function<std::unique_ptr<EnroleeStore>(EnroleeStore*)>;

  // Start: `backend` is "memory" or "pg". For "pg" without ONEM2M_TEST_PG it returns
  // FAILED_PRECONDITION with pg::TestSchema::SkipMessage() (callers GTEST_SKIP on that code).
  static absl::StatusOr<std::unique_ptr<AdminTestServer>> Start(const std::string& backend,
                                                                MefAdminOptions options = {},
                                                                Wrap wrap = nullptr);
  ~AdminTestServer();

  // ClientFiles issues a client certificate for `identity` and returns the PEM paths.
  grpcutil::TlsFiles ClientFiles(const std::string& identity);
  // NewStub connects with a client certificate for `identity` ("" = no client certificate).
  std::unique_ptr<::onem2m::rsp::v1::MefAdminService::Stub> NewStub(const std::string& identity);

  // Shutdown stops serving and returns once every RPC handler has returned; the store stays open
  // for the test to inspect what the handlers left.
  void Shutdown();

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  EnroleeStore* store() { return store_; }
  const crypto::Envelope& envelope() const { return *used_envelope_; }
  const std::string& dir() const { return dir_; }
  std::string audit_path() const { return dir_ + "/audit.log"; }

 private:
  AdminTestServer() = default;

  std::string dir_;
  std::unique_ptr<::onem2m::testing::TestPki> pki_;
  std::unique_ptr<pg::TestSchema> schema_;  // outlives the store
  std::unique_ptr<EnroleeStore> base_store_;
  std::unique_ptr<EnroleeStore> wrapped_store_;
  EnroleeStore* store_ = nullptr;
  std::unique_ptr<crypto::Envelope> envelope_;
  const crypto::Envelope* used_envelope_ = nullptr;  // options.envelope or envelope_
  std::unique_ptr<EnvelopeKpmSealer> sealer_;
  std::unique_ptr<MefAdminServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_TESTING_ADMIN_TEST_SERVER_H_
