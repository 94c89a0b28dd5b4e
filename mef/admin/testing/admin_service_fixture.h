// File: mef/admin/testing/admin_service_fixture.h
//
// The fixture the MefAdminService tests share (mef_admin_*_test.cc): a real gRPC server with
// mutual TLS over the in-memory store or, when ONEM2M_TEST_PG is set, PostgreSQL, and the rows
// they create. Each test file derives its own suite from MefAdminFixture and instantiates it
// over ::testing::Values("memory", "pg").
#ifndef ONEM2M_MEF_ADMIN_TESTING_ADMIN_SERVICE_FIXTURE_H_
#define ONEM2M_MEF_ADMIN_TESTING_ADMIN_SERVICE_FIXTURE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "gtest/gtest.h"
#include "mef/admin/testing/admin_test_server.h"

namespace onem2m {
namespace mef {
namespace testing {

namespace v1 = ::onem2m::rsp::v1;

// Kpm of test row `i`: distinctive bytes so a leak is easy to find.
inline std::string TestKpm(int i, size_t len = 32) {
  std::string k(len, '\0');
  for (size_t j = 0; j < len; ++j) k[j] = static_cast<char>(0xA0 + ((i * 7 + j * 13) % 0x5F));
  return k;
}

inline std::string KpmId(int i) { return absl::StrFormat("dev-%05d", i); }

inline v1::CreateEnroleeRequest Row(int i, const std::string& maf = "maf.example.com") {
  v1::CreateEnroleeRequest r;
  r.mutable_spec()->set_kpm_id(KpmId(i));
  r.mutable_spec()->set_enrolee_id("C" + KpmId(i));
  r.mutable_spec()->set_maf_id(maf);
  r.mutable_spec()->set_maf_uri("https://" + maf + ":8443");
  r.mutable_spec()->mutable_enrolment_lifetime()->set_seconds(3600);
  r.set_kpm(TestKpm(i));
  return r;
}

// MefAdminFixture runs an AdminTestServer over the store named by the test parameter ("memory" or
// "pg"; skipped without ONEM2M_TEST_PG) and keeps every response for the Kpm leak scan.
class MefAdminFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { StartServer(MefAdminOptions{}, nullptr); }

  void StartServer(MefAdminOptions options, AdminTestServer::Wrap wrap) {
    stub_.reset();
    server_.reset();
    absl::StatusOr<std::unique_ptr<AdminTestServer>> s =
        AdminTestServer::Start(GetParam(), std::move(options), std::move(wrap));
    if (s.status().code() == absl::StatusCode::kFailedPrecondition) {
      GTEST_SKIP() << s.status().message();
    }
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    stub_ = server_->NewStub(kAdminIdentity);
  }

  // Ctx returns a fresh context with a deadline.
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  // Seen records every response so KpmNeverAppearsInAnyResponse can scan them.
  void Seen(const google::protobuf::Message& m) {
    responses_.push_back(m.DebugString() + m.SerializeAsString());
  }

  grpc::Status Create(const v1::CreateEnroleeRequest& r, v1::Enrolee* out = nullptr) {
    v1::Enrolee e;
    grpc::Status s = stub_->CreateEnrolee(Ctx().get(), r, out ? out : &e);
    Seen(out ? *out : e);
    return s;
  }

  grpc::Status Import(const std::vector<v1::ImportEnroleesRequest>& rows,
                      v1::ImportEnroleesSummary* out, grpc::ClientContext* ctx) {
    auto writer = stub_->ImportEnrolees(ctx, out);
    for (const auto& r : rows) {
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    Seen(*out);
    return s;
  }

  void RecordEnrolment(const std::string& kpm_id, int n, absl::Time expires) {
    Enrolment e;
    e.ke_id = *crypto::KeyId::Parse(absl::StrCat(absl::StrFormat("%032X", n), "@mef.example.com"));
    e.kpm_id = kpm_id;
    e.ke = SealedKey{"sealed-ke-" + std::to_string(n), 1};
    e.enrolee_id = "C" + kpm_id;
    e.maf_id = "maf.example.com";
    e.expires_at = absl::FromUnixSeconds(absl::ToUnixSeconds(expires));
    ASSERT_TRUE(server_->store()->RecordEnrolment(e).ok());
  }

  std::unique_ptr<AdminTestServer> server_;
  std::unique_ptr<v1::MefAdminService::Stub> stub_;
  std::vector<std::string> responses_;
};

}  // namespace testing
}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_ADMIN_TESTING_ADMIN_SERVICE_FIXTURE_H_
