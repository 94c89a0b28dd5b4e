// MefAdminService enrolee lifecycle (create, get, list, disable/enable/revoke, delete, Kpm rotation,
// enrolments) through a real gRPC server with mutual TLS, over the in-memory store and (when
// ONEM2M_TEST_PG is set) PostgreSQL.
#include "mef/admin/mef_admin_service.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "gtest/gtest.h"
#include "mef/admin/testing/admin_service_fixture.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using testing::kAdminIdentity;
using testing::KpmId;
using testing::Row;
using testing::TestKpm;

class MefAdminServiceTest : public testing::MefAdminFixture {};

TEST_P(MefAdminServiceTest, CreateThenGetReturnsEnroleeWithoutKpm) {
  v1::Enrolee created;
  grpc::Status s = Create(Row(1), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.spec().kpm_id(), KpmId(1));
  EXPECT_EQ(created.state(), v1::ENROLEE_STATE_ACTIVE);
  EXPECT_EQ(created.created_by().identity(), kAdminIdentity);
  EXPECT_EQ(created.spec().enrolment_lifetime().seconds(), 3600);
  EXPECT_GT(created.create_time().seconds(), 0);

  v1::GetEnroleeRequest get;
  get.set_kpm_id(KpmId(1));
  v1::Enrolee got;
  s = stub_->GetEnrolee(Ctx().get(), get, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  Seen(got);
  EXPECT_EQ(got.spec().maf_uri(), "https://maf.example.com:8443");
  EXPECT_EQ(got.spec().enrolee_id(), "C" + KpmId(1));

  // The store holds Kpm sealed under the KEK, bound to the KpmID.
  absl::StatusOr<Enrolee> stored = server_->store()->GetEnrolee(KpmId(1));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->kpm.ciphertext.find(TestKpm(1)), std::string::npos);
  absl::StatusOr<SecretBytes> opened = server_->envelope().Open(stored->kpm.ciphertext, KpmId(1));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->Reveal(), TestKpm(1));
  EXPECT_FALSE(server_->envelope().Open(stored->kpm.ciphertext, KpmId(2)).ok());
}

TEST_P(MefAdminServiceTest, CreateRejectsMalformedFieldsNamingThem) {
  struct Case {
    const char* name;
    std::function<void(v1::CreateEnroleeRequest*)> mutate;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"short kpm", [](auto* r) { r->set_kpm(std::string(15, 'k')); }, "kpm"},
      {"long kpm", [](auto* r) { r->set_kpm(std::string(65, 'k')); }, "kpm"},
      {"empty kpm_id", [](auto* r) { r->mutable_spec()->set_kpm_id(""); }, "kpm_id"},
      {"long kpm_id", [](auto* r) { r->mutable_spec()->set_kpm_id(std::string(129, 'a')); },
       "kpm_id"},
      {"empty enrolee_id", [](auto* r) { r->mutable_spec()->set_enrolee_id(""); }, "enrolee_id"},
      {"space in enrolee_id", [](auto* r) { r->mutable_spec()->set_enrolee_id("C a"); },
       "enrolee_id"},
      {"upper-case maf_id", [](auto* r) { r->mutable_spec()->set_maf_id("MAF.example.com"); },
       "maf_id"},
      {"empty maf_id", [](auto* r) { r->mutable_spec()->set_maf_id(""); }, "maf_id"},
      {"negative lifetime",
       [](auto* r) { r->mutable_spec()->mutable_enrolment_lifetime()->set_seconds(-5); },
       "enrolment_lifetime"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::CreateEnroleeRequest r = Row(2);
    c.mutate(&r);
    grpc::Status s = Create(r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message().rfind(c.field, 0), 0u) << s.error_message();
  }
  // A 128-byte KpmID and 16- and 64-byte Kpm are the limits, accepted.
  v1::CreateEnroleeRequest edge = Row(3);
  edge.mutable_spec()->set_kpm_id(std::string(128, 'b'));
  edge.set_kpm(std::string(16, 'x'));
  EXPECT_TRUE(Create(edge).ok());
  edge.mutable_spec()->set_kpm_id(std::string(127, 'b'));
  edge.set_kpm(std::string(64, 'x'));
  EXPECT_TRUE(Create(edge).ok());
}

TEST_P(MefAdminServiceTest, CreateDuplicateKpmIdIsAlreadyExists) {
  ASSERT_TRUE(Create(Row(1)).ok());
  EXPECT_EQ(Create(Row(1)).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_P(MefAdminServiceTest, GetUnknownIsNotFoundAndMalformedIsInvalid) {
  v1::GetEnroleeRequest get;
  v1::Enrolee e;
  get.set_kpm_id("nope");
  EXPECT_EQ(stub_->GetEnrolee(Ctx().get(), get, &e).error_code(), grpc::StatusCode::NOT_FOUND);
  get.set_kpm_id("");
  EXPECT_EQ(stub_->GetEnrolee(Ctx().get(), get, &e).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(MefAdminServiceTest, ListFollowsPagesAndFilters) {
  for (int i = 1; i <= 25; ++i) {
    ASSERT_TRUE(Create(Row(i, i % 5 == 0 ? "other.example.com" : "maf.example.com")).ok());
  }
  v1::DisableEnroleeRequest dis;
  dis.set_kpm_id(KpmId(7));
  v1::Enrolee e;
  ASSERT_TRUE(stub_->DisableEnrolee(Ctx().get(), dis, &e).ok());

  auto list_all = [&](v1::ListEnroleesRequest req, int* pages) {
    std::vector<std::string> ids;
    *pages = 0;
    do {
      v1::ListEnroleesResponse resp;
      grpc::Status s = stub_->ListEnrolees(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      Seen(resp);
      ++*pages;
      EXPECT_LE(resp.enrolees_size(), req.page_size());
      for (const auto& en : resp.enrolees()) ids.push_back(en.spec().kpm_id());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty() && *pages < 100);
    return ids;
  };
  v1::ListEnroleesRequest req;
  req.set_page_size(10);
  int pages = 0;
  std::vector<std::string> ids = list_all(req, &pages);
  ASSERT_EQ(ids.size(), 25u);
  EXPECT_GE(pages, 3);
  for (int i = 1; i <= 25; ++i) EXPECT_EQ(ids[i - 1], KpmId(i));

  req.set_state_filter(v1::ENROLEE_STATE_DISABLED);
  ids = list_all(req, &pages);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], KpmId(7));

  req.set_state_filter(v1::ENROLEE_STATE_UNSPECIFIED);
  req.set_maf_id_filter("other.example.com");
  req.set_page_size(2);
  ids = list_all(req, &pages);
  EXPECT_EQ(ids, (std::vector<std::string>{KpmId(5), KpmId(10), KpmId(15), KpmId(20), KpmId(25)}));

  // A token is bound to its filter; garbage is refused.
  v1::ListEnroleesRequest first;
  first.set_page_size(3);
  v1::ListEnroleesResponse resp;
  ASSERT_TRUE(stub_->ListEnrolees(Ctx().get(), first, &resp).ok());
  ASSERT_FALSE(resp.next_page_token().empty());
  v1::ListEnroleesRequest mismatched = first;
  mismatched.set_page_token(resp.next_page_token());
  mismatched.set_state_filter(v1::ENROLEE_STATE_ACTIVE);
  EXPECT_EQ(stub_->ListEnrolees(Ctx().get(), mismatched, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  mismatched.set_page_token("garbage!");
  EXPECT_EQ(stub_->ListEnrolees(Ctx().get(), mismatched, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListEnroleesRequest negative;
  negative.set_page_size(-1);
  EXPECT_EQ(stub_->ListEnrolees(Ctx().get(), negative, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(MefAdminServiceTest, DisableEnableRevokeFollowTheStateRules) {
  ASSERT_TRUE(Create(Row(1)).ok());
  v1::Enrolee e;
  v1::DisableEnroleeRequest dis;
  dis.set_kpm_id(KpmId(1));
  dis.set_reason("device lost");
  ASSERT_TRUE(stub_->DisableEnrolee(Ctx().get(), dis, &e).ok());
  EXPECT_EQ(e.state(), v1::ENROLEE_STATE_DISABLED);
  EXPECT_EQ(e.last_state_change().reason(), "device lost");
  EXPECT_EQ(e.last_state_change().actor().identity(), kAdminIdentity);
  ASSERT_TRUE(stub_->DisableEnrolee(Ctx().get(), dis, &e).ok());  // idempotent
  EXPECT_EQ(e.state(), v1::ENROLEE_STATE_DISABLED);

  v1::EnableEnroleeRequest en;
  en.set_kpm_id(KpmId(1));
  ASSERT_TRUE(stub_->EnableEnrolee(Ctx().get(), en, &e).ok());
  EXPECT_EQ(e.state(), v1::ENROLEE_STATE_ACTIVE);

  v1::RevokeEnroleeRequest rev;
  rev.set_kpm_id(KpmId(1));
  EXPECT_EQ(stub_->RevokeEnrolee(Ctx().get(), rev, &e).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // reason required
  rev.set_reason("compromised");
  ASSERT_TRUE(stub_->RevokeEnrolee(Ctx().get(), rev, &e).ok());
  EXPECT_EQ(e.state(), v1::ENROLEE_STATE_REVOKED);
  ASSERT_TRUE(stub_->RevokeEnrolee(Ctx().get(), rev, &e).ok());  // idempotent

  EXPECT_EQ(stub_->EnableEnrolee(Ctx().get(), en, &e).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(stub_->DisableEnrolee(Ctx().get(), dis, &e).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::RotateKpmRequest rot;
  rot.set_kpm_id(KpmId(1));
  rot.set_new_kpm(TestKpm(99));
  EXPECT_EQ(stub_->RotateKpm(Ctx().get(), rot, &e).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  dis.set_kpm_id("missing");
  EXPECT_EQ(stub_->DisableEnrolee(Ctx().get(), dis, &e).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(MefAdminServiceTest, DeleteRemovesEnroleeAndCountsEnrolments) {
  ASSERT_TRUE(Create(Row(1)).ok());
  RecordEnrolment(KpmId(1), 1, absl::Now() + absl::Hours(1));
  RecordEnrolment(KpmId(1), 2, absl::Now() + absl::Hours(1));
  v1::DeleteEnroleeRequest del;
  del.set_kpm_id(KpmId(1));
  del.set_reason("decommissioned");
  v1::DeleteEnroleeResponse resp;
  ASSERT_TRUE(stub_->DeleteEnrolee(Ctx().get(), del, &resp).ok());
  EXPECT_EQ(resp.deleted_enrolment_count(), 2u);
  v1::GetEnroleeRequest get;
  get.set_kpm_id(KpmId(1));
  v1::Enrolee e;
  EXPECT_EQ(stub_->GetEnrolee(Ctx().get(), get, &e).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->DeleteEnrolee(Ctx().get(), del, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The KpmID may be reused.
  EXPECT_TRUE(Create(Row(1)).ok());
}

TEST_P(MefAdminServiceTest, RotateKpmReplacesSealedKeyAndInvalidatesEnrolments) {
  ASSERT_TRUE(Create(Row(1)).ok());
  RecordEnrolment(KpmId(1), 1, absl::Now() + absl::Hours(1));
  v1::RotateKpmRequest rot;
  rot.set_kpm_id(KpmId(1));
  rot.set_new_kpm(std::string(8, 'x'));
  v1::Enrolee e;
  grpc::Status s = stub_->RotateKpm(Ctx().get(), rot, &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("new_kpm", 0), 0u) << s.error_message();

  rot.set_new_kpm(TestKpm(42, 48));
  rot.set_reason("device re-keyed");
  s = stub_->RotateKpm(Ctx().get(), rot, &e);
  ASSERT_TRUE(s.ok()) << s.error_message();
  Seen(e);
  absl::StatusOr<Enrolee> stored = server_->store()->GetEnrolee(KpmId(1));
  ASSERT_TRUE(stored.ok());
  absl::StatusOr<SecretBytes> opened = server_->envelope().Open(stored->kpm.ciphertext, KpmId(1));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->Reveal(), TestKpm(42, 48));

  v1::ListEnrolmentsRequest list;
  list.set_kpm_id(KpmId(1));
  v1::ListEnrolmentsResponse resp;
  ASSERT_TRUE(stub_->ListEnrolments(Ctx().get(), list, &resp).ok());
  EXPECT_EQ(resp.enrolments_size(), 0);  // the only one is now invalidated
  list.set_include_invalidated(true);
  ASSERT_TRUE(stub_->ListEnrolments(Ctx().get(), list, &resp).ok());
  ASSERT_EQ(resp.enrolments_size(), 1);
  EXPECT_TRUE(resp.enrolments(0).invalidated());

  rot.set_kpm_id("missing");
  EXPECT_EQ(stub_->RotateKpm(Ctx().get(), rot, &e).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(MefAdminServiceTest, ListEnrolmentsPagesAndHidesInvalidated) {
  ASSERT_TRUE(Create(Row(1)).ok());
  for (int n = 1; n <= 5; ++n) RecordEnrolment(KpmId(1), n, absl::Now() + absl::Hours(1));
  RecordEnrolment(KpmId(1), 6, absl::Now() - absl::Hours(1));  // expired
  ASSERT_TRUE(server_->store()
                  ->RevokeEnrolment(*crypto::KeyId::Parse(
                      absl::StrCat(absl::StrFormat("%032X", 2), "@mef.example.com")))
                  .ok());
  v1::ListEnrolmentsRequest list;
  list.set_kpm_id(KpmId(1));
  list.set_page_size(2);
  std::vector<std::string> ids;
  int pages = 0;
  do {
    v1::ListEnrolmentsResponse resp;
    grpc::Status s = stub_->ListEnrolments(Ctx().get(), list, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    Seen(resp);
    for (const auto& en : resp.enrolments()) {
      EXPECT_FALSE(en.invalidated());
      EXPECT_EQ(en.kpm_id(), KpmId(1));
      ids.push_back(en.ke_id());
    }
    list.set_page_token(resp.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 20);
  EXPECT_EQ(ids.size(), 4u);

  v1::ListEnrolmentsRequest all;
  all.set_kpm_id(KpmId(1));
  all.set_include_invalidated(true);
  v1::ListEnrolmentsResponse resp;
  ASSERT_TRUE(stub_->ListEnrolments(Ctx().get(), all, &resp).ok());
  EXPECT_EQ(resp.enrolments_size(), 6);

  v1::ListEnrolmentsRequest none;
  EXPECT_EQ(stub_->ListEnrolments(Ctx().get(), none, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListEnrolmentsRequest missing;
  missing.set_kpm_id("missing");
  EXPECT_EQ(stub_->ListEnrolments(Ctx().get(), missing, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListEnrolmentsRequest by_enrolee;
  by_enrolee.set_enrolee_id("C" + KpmId(1));
  EXPECT_EQ(stub_->ListEnrolments(Ctx().get(), by_enrolee, &resp).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

INSTANTIATE_TEST_SUITE_P(Stores, MefAdminServiceTest, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace mef
}  // namespace onem2m
