// Tests of MefAdminServiceImpl through a real gRPC server with mutual TLS, over the in-memory
// store and (when ONEM2M_TEST_PG is set) PostgreSQL.
#include "mef/admin/mef_admin_service.h"

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "mef/admin/testing/admin_test_server.h"
#include "mef/admin/testing/failing_store.h"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::StatusIs;

namespace v1 = ::onem2m::rsp::v1;
using testing::AdminTestServer;
using testing::FailingStore;
using testing::kAdminIdentity;

// Kpm of test row `i`: distinctive bytes so a leak is easy to find.
std::string TestKpm(int i, size_t len = 32) {
  std::string k(len, '\0');
  for (size_t j = 0; j < len; ++j) k[j] = static_cast<char>(0xA0 + ((i * 7 + j * 13) % 0x5F));
  return k;
}

std::string KpmId(int i) { return absl::StrFormat("dev-%05d", i); }

v1::CreateEnroleeRequest Row(int i, const std::string& maf = "maf.example.com") {
  v1::CreateEnroleeRequest r;
  r.mutable_spec()->set_kpm_id(KpmId(i));
  r.mutable_spec()->set_enrolee_id("C" + KpmId(i));
  r.mutable_spec()->set_maf_id(maf);
  r.mutable_spec()->set_maf_uri("https://" + maf + ":8443");
  r.mutable_spec()->mutable_enrolment_lifetime()->set_seconds(3600);
  r.set_kpm(TestKpm(i));
  return r;
}

class MefAdminServiceTest : public ::testing::TestWithParam<std::string> {
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

// KEK rotation (docs/operations.md "Rotate the key-encryption key (KEK)"): rows sealed under
// version 1 by replicas that did not yet have version 2 are re-sealed under the active version 2
// by RewrapBatch, in batches, and KekStatus shows the progress.
TEST_P(MefAdminServiceTest, KekStatusAndRewrapBatchRotateEveryRow) {
  crypto::Keyring v1_only = crypto::Keyring::Generate(1);
  std::map<uint32_t, SecretBytes> keys;
  keys.emplace(1, SecretBytes::Copy(v1_only.key(1)->Reveal()));
  keys.emplace(2, SecretBytes::Random(crypto::kKekLen));
  absl::StatusOr<crypto::Keyring> both = crypto::Keyring::FromKeys(std::move(keys), 2);
  ASSERT_TRUE(both.ok()) << both.status();
  crypto::Envelope old_envelope(std::move(v1_only));
  crypto::Envelope new_envelope(*std::move(both));
  MefAdminOptions o;
  o.envelope = &new_envelope;
  StartServer(std::move(o), nullptr);
  if (IsSkipped()) return;

  // Three enrolees and two enrolments sealed under version 1, one enrolee created through the API
  // (sealed under the active version 2).
  for (int i = 1; i <= 3; ++i) {
    Enrolee e;
    e.kpm_id = KpmId(i);
    e.kpm = SealedKey{*old_envelope.Seal(SecretBytes::Copy(TestKpm(i)), KpmId(i)), 1};
    e.enrolee_id = "C" + KpmId(i);
    e.maf_id = "maf.example.com";
    ASSERT_TRUE(server_->store()->CreateEnrolee(e).ok());
  }
  for (int n = 1; n <= 2; ++n) {
    Enrolment e;
    e.ke_id = *crypto::KeyId::Parse(absl::StrFormat("%032X@mef.example.com", 0xE0 + n));
    e.kpm_id = KpmId(n);
    e.ke =
        SealedKey{*old_envelope.Seal(SecretBytes::Copy(TestKpm(100 + n)), e.ke_id.ToString()), 1};
    e.enrolee_id = "C" + KpmId(n);
    e.maf_id = "maf.example.com";
    e.expires_at = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
    ASSERT_TRUE(server_->store()->RecordEnrolment(e).ok());
  }
  ASSERT_TRUE(Create(Row(4)).ok());

  v1::KekStatusResponse status;
  grpc::Status s = stub_->KekStatus(Ctx().get(), v1::KekStatusRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.active_kek_version(), 2u);
  ASSERT_EQ(status.keyring_versions_size(), 2);
  ASSERT_EQ(status.counts_size(), 3);
  EXPECT_EQ(status.counts(0).column(), "enrolees.kpm");
  EXPECT_EQ(status.counts(0).kek_version(), 1u);
  EXPECT_EQ(status.counts(0).rows(), 3);
  EXPECT_TRUE(status.counts(0).in_keyring());
  EXPECT_EQ(status.counts(1).kek_version(), 2u);
  EXPECT_EQ(status.counts(1).rows(), 1);
  EXPECT_EQ(status.counts(2).column(), "enrolments.ke");
  EXPECT_EQ(status.counts(2).rows(), 2);

  v1::RewrapBatchRequest req;
  req.set_batch_size(2);
  v1::RewrapBatchResponse r;
  s = stub_->RewrapBatch(Ctx().get(), req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.active_kek_version(), 2u);
  EXPECT_EQ(r.rows_done(), 2);
  EXPECT_EQ(r.rows_left(), 3);
  int calls = 1;
  while (r.rows_left() > 0 && calls < 10) {
    s = stub_->RewrapBatch(Ctx().get(), req, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++calls;
  }
  EXPECT_EQ(calls, 3);  // 5 rows in batches of 2
  EXPECT_EQ(r.rows_left(), 0);

  // Every row now opens under version 2 with its own key unchanged, and version 1 is unused.
  for (int i = 1; i <= 3; ++i) {
    absl::StatusOr<Enrolee> e = server_->store()->GetEnrolee(KpmId(i));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->kpm.kek_version, 2);
    absl::StatusOr<uint32_t> v = crypto::SealedKeyVersion(e->kpm.ciphertext);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, 2u);
    absl::StatusOr<SecretBytes> kpm = new_envelope.Open(e->kpm.ciphertext, KpmId(i));
    ASSERT_TRUE(kpm.ok()) << kpm.status();
    EXPECT_EQ(kpm->Reveal(), TestKpm(i));
  }
  absl::StatusOr<EnrolmentView> ke = server_->store()->GetEnrolmentByKeId(
      *crypto::KeyId::Parse("000000000000000000000000000000E2@mef.example.com"));
  ASSERT_TRUE(ke.ok());
  absl::StatusOr<SecretBytes> ke_clear = new_envelope.Open(
      ke->enrolment.ke.ciphertext, "000000000000000000000000000000E2@mef.example.com");
  ASSERT_TRUE(ke_clear.ok()) << ke_clear.status();
  EXPECT_EQ(ke_clear->Reveal(), TestKpm(102));
  status.Clear();
  s = stub_->KekStatus(Ctx().get(), v1::KekStatusRequest(), &status);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(status.counts_size(), 2);
  EXPECT_EQ(status.counts(0).kek_version(), 2u);
  EXPECT_EQ(status.counts(0).rows(), 4);
  EXPECT_EQ(status.counts(1).kek_version(), 2u);
  EXPECT_EQ(status.counts(1).rows(), 2);
  Seen(status);
  Seen(r);

  // A row under a version the keyring lacks shows in_keyring=false and stops a rewrap.
  Enrolee lost;
  lost.kpm_id = KpmId(9);
  crypto::Envelope retired(crypto::Keyring::Generate(7));
  lost.kpm = SealedKey{*retired.Seal(SecretBytes::Copy(TestKpm(9)), KpmId(9)), 7};
  lost.enrolee_id = "C" + KpmId(9);
  lost.maf_id = "maf.example.com";
  ASSERT_TRUE(server_->store()->CreateEnrolee(lost).ok());
  status.Clear();
  ASSERT_TRUE(stub_->KekStatus(Ctx().get(), v1::KekStatusRequest(), &status).ok());
  ASSERT_EQ(status.counts_size(), 3);
  EXPECT_EQ(status.counts(1).kek_version(), 7u);
  EXPECT_FALSE(status.counts(1).in_keyring());
  s = stub_->RewrapBatch(Ctx().get(), req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  req.set_batch_size(10001);
  EXPECT_EQ(stub_->RewrapBatch(Ctx().get(), req, &r).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

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

TEST_P(MefAdminServiceTest, NonAdminIdentityIsPermissionDenied) {
  auto intruder = server_->NewStub("maf.example.com");
  v1::Enrolee e;
  grpc::ClientContext ctx;
  grpc::Status s = intruder->CreateEnrolee(&ctx, Row(1), &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetEnroleeRequest get;
  get.set_kpm_id(KpmId(1));
  grpc::ClientContext ctx2;
  EXPECT_EQ(intruder->GetEnrolee(&ctx2, get, &e).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ImportEnroleesSummary summary;
  grpc::ClientContext ctx3;
  auto writer = intruder->ImportEnrolees(&ctx3, &summary);
  v1::ImportEnroleesRequest row;
  *row.mutable_enrolee() = Row(2);
  writer->Write(row);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(server_->store()->GetEnrolee(KpmId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(server_->store()->GetEnrolee(KpmId(2)), StatusIs(absl::StatusCode::kNotFound));
  std::ifstream audit(server_->audit_path());
  std::stringstream text;
  text << audit.rdbuf();
  EXPECT_NE(text.str().find("mef_admin_denied"), std::string::npos);
}

TEST_P(MefAdminServiceTest, ClientWithoutCertificateIsRefused) {
  auto anonymous = server_->NewStub("");
  v1::Enrolee e;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = anonymous->CreateEnrolee(&ctx, Row(1), &e);
  EXPECT_FALSE(s.ok());
  // The TLS layer refuses the handshake (UNAVAILABLE); the service would answer UNAUTHENTICATED.
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
              s.error_code() == grpc::StatusCode::UNAUTHENTICATED)
      << s.error_code();
  EXPECT_THAT(server_->store()->GetEnrolee(KpmId(1)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MefAdminServiceTest, ImportReportsRejectedRowsWithReasons) {
  std::vector<v1::ImportEnroleesRequest> rows;
  for (int i = 1; i <= 10; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    r.set_row(100 + i);  // e.g. file line numbers
    rows.push_back(r);
  }
  rows[2].mutable_enrolee()->set_kpm(std::string(4, 'k'));           // row 103
  rows[5].mutable_enrolee()->mutable_spec()->set_maf_id("Bad_Maf");  // row 106
  rows[8].mutable_enrolee()->mutable_spec()->set_kpm_id(KpmId(1));   // row 109: duplicate
  rows[9].set_row(0);                                                // position 10
  v1::ImportEnroleesSummary summary;
  grpc::ClientContext ctx;
  grpc::Status s = Import(rows, &summary, &ctx);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(summary.received_count(), 10u);
  EXPECT_EQ(summary.accepted_count(), 7u);
  EXPECT_EQ(summary.rejected_count(), 3u);
  ASSERT_EQ(summary.rejections_size(), 3);
  EXPECT_EQ(summary.rejections(0).row(), 103u);
  EXPECT_EQ(summary.rejections(0).code(), 3);  // INVALID_ARGUMENT
  EXPECT_EQ(summary.rejections(0).kpm_id(), KpmId(3));
  EXPECT_NE(summary.rejections(0).reason().find("row 103: kpm:"), std::string::npos)
      << summary.rejections(0).reason();
  EXPECT_EQ(summary.rejections(1).row(), 106u);
  EXPECT_NE(summary.rejections(1).reason().find("maf_id"), std::string::npos);
  EXPECT_EQ(summary.rejections(2).row(), 109u);
  EXPECT_EQ(summary.rejections(2).code(), 6);  // ALREADY_EXISTS
  for (int i : {1, 2, 4, 5, 7, 8, 10}) {
    EXPECT_TRUE(server_->store()->GetEnrolee(KpmId(i)).ok()) << i;
  }
  EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(3)).ok());
}

TEST_P(MefAdminServiceTest, FetchGrantsTravelThroughCreateImportGetAndSet) {
  v1::CreateEnroleeRequest row = Row(1);
  v1::FetchGrant* g = row.mutable_spec()->add_fetch_grants();
  g->set_target_id("cse.example.com");
  g->set_suid(42);
  v1::Enrolee created;
  ASSERT_TRUE(Create(row, &created).ok());
  ASSERT_EQ(created.spec().fetch_grants_size(), 1);
  EXPECT_EQ(created.spec().fetch_grants(0).suid(), 42u);

  v1::GetEnroleeRequest get;
  get.set_kpm_id(KpmId(1));
  v1::Enrolee got;
  ASSERT_TRUE(stub_->GetEnrolee(Ctx().get(), get, &got).ok());
  ASSERT_EQ(got.spec().fetch_grants_size(), 1);
  EXPECT_EQ(got.spec().fetch_grants(0).target_id(), "cse.example.com");

  // Import carries them too.
  v1::ImportEnroleesRequest imp;
  *imp.mutable_enrolee() = Row(2);
  g = imp.mutable_enrolee()->mutable_spec()->add_fetch_grants();
  g->set_target_id("ae.example.com");
  g->set_suid(7);
  v1::ImportEnroleesSummary summary;
  grpc::ClientContext ctx;
  ASSERT_TRUE(Import({imp}, &summary, &ctx).ok());
  EXPECT_EQ(summary.accepted_count(), 1u);
  absl::StatusOr<std::vector<FetchGrant>> stored = server_->store()->GetFetchGrants(KpmId(2));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, (std::vector<FetchGrant>{{"ae.example.com", 7}}));

  // SetFetchGrants replaces the list.
  v1::SetFetchGrantsRequest set;
  set.set_kpm_id(KpmId(1));
  g = set.add_fetch_grants();
  g->set_target_id("other.example.com");
  g->set_suid(9);
  v1::Enrolee after;
  grpc::Status s = stub_->SetFetchGrants(Ctx().get(), set, &after);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(after.spec().fetch_grants_size(), 1);
  EXPECT_EQ(after.spec().fetch_grants(0).target_id(), "other.example.com");
  EXPECT_EQ(*server_->store()->GetFetchGrants(KpmId(1)),
            (std::vector<FetchGrant>{{"other.example.com", 9}}));

  // Bad grants are refused naming the field; an unknown enrolee is NOT_FOUND.
  g->set_target_id("Not_An_Fqdn");
  s = stub_->SetFetchGrants(Ctx().get(), set, &after);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("fetch_grants[0]"), std::string::npos) << s.error_message();
  g->set_target_id("x.example.com");
  g->set_suid(0);
  EXPECT_EQ(stub_->SetFetchGrants(Ctx().get(), set, &after).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  g->set_suid(1);
  set.set_kpm_id("nobody");
  EXPECT_EQ(stub_->SetFetchGrants(Ctx().get(), set, &after).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::CreateEnroleeRequest bad = Row(3);
  bad.mutable_spec()->add_fetch_grants()->set_target_id("cse.example.com");  // suid 0
  EXPECT_EQ(Create(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(MefAdminServiceTest, ImportStoreFailureReportsExactlyWhatWasCommitted) {
  MefAdminOptions options;
  options.import_batch_size = 10;
  StartServer(options, [](EnroleeStore* real) {
    return std::make_unique<FailingStore>(real, /*fail_from=*/3);
  });
  std::vector<v1::ImportEnroleesRequest> rows;
  for (int i = 1; i <= 50; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    r.set_row(i + 1);  // CSV line: header is line 1
    rows.push_back(r);
  }
  rows[4].mutable_enrolee()->set_kpm("short");  // line 6: rejected, in the committed prefix
  v1::ImportEnroleesSummary ignored;
  grpc::ClientContext ctx;
  grpc::Status s = Import(rows, &ignored, &ctx);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // Batches 1 and 2 (rows 1..21 by position, one rejected) committed; batch 3 failed.
  EXPECT_NE(s.error_message().find("20 rows were stored"), std::string::npos) << s.error_message();
  const auto& md = ctx.GetServerTrailingMetadata();
  auto it = md.find(kImportSummaryMetadataKey);
  ASSERT_NE(it, md.end());
  v1::ImportEnroleesSummary partial;
  ASSERT_TRUE(partial.ParseFromString(std::string(it->second.data(), it->second.size())));
  EXPECT_EQ(partial.accepted_count(), 20u);
  EXPECT_EQ(partial.rejected_count(), 1u);
  auto first = md.find(kFirstUncommittedRowMetadataKey);
  ASSERT_NE(first, md.end());
  EXPECT_EQ(std::string(first->second.data(), first->second.size()), "23");  // position 22
  int stored = 0;
  for (int i = 1; i <= 50; ++i) stored += server_->store()->GetEnrolee(KpmId(i)).ok() ? 1 : 0;
  EXPECT_EQ(stored, 20);
  EXPECT_TRUE(server_->store()->GetEnrolee(KpmId(21)).ok());
  EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(22)).ok());
}

TEST_P(MefAdminServiceTest, ImportOverTheRowLimitKeepsRowsBeforeIt) {
  MefAdminOptions options;
  options.max_import_rows = 5;
  options.import_batch_size = 2;
  StartServer(options, nullptr);
  std::vector<v1::ImportEnroleesRequest> rows;
  for (int i = 1; i <= 7; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    rows.push_back(r);
  }
  v1::ImportEnroleesSummary ignored;
  grpc::ClientContext ctx;
  grpc::Status s = Import(rows, &ignored, &ctx);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("5 rows were stored"), std::string::npos) << s.error_message();
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(server_->store()->GetEnrolee(KpmId(i)).ok()) << i;
  EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(6)).ok());
}

TEST_P(MefAdminServiceTest, ImportCancelledByTheClientStoresNothingPending) {
  // With the default batch of 1000 the rows sent are still buffered when the client cancels: the
  // server must not write rows whose outcome the client can no longer learn.
  grpc::ClientContext ctx;
  v1::ImportEnroleesSummary summary;
  auto writer = stub_->ImportEnrolees(&ctx, &summary);
  for (int i = 1; i <= 5; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    ASSERT_TRUE(writer->Write(r));
  }
  ctx.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // Give the server thread a moment to observe the cancellation.
  absl::SleepFor(absl::Milliseconds(200));
  for (int i = 1; i <= 5; ++i) EXPECT_FALSE(server_->store()->GetEnrolee(KpmId(i)).ok()) << i;
}

TEST_P(MefAdminServiceTest, KpmNeverAppearsInAnyResponseOrAuditRecord) {
  // Exercise every RPC, then look for every Kpm used, raw and in hex of either case.
  std::vector<std::string> kpms;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(Create(Row(i)).ok());
    kpms.push_back(TestKpm(i));
  }
  std::vector<v1::ImportEnroleesRequest> rows;
  for (int i = 4; i <= 6; ++i) {
    v1::ImportEnroleesRequest r;
    *r.mutable_enrolee() = Row(i);
    rows.push_back(r);
    kpms.push_back(TestKpm(i));
  }
  rows.push_back(rows[0]);  // duplicate: a rejection entry
  v1::ImportEnroleesSummary summary;
  grpc::ClientContext ictx;
  ASSERT_TRUE(Import(rows, &summary, &ictx).ok());
  v1::Enrolee e;
  v1::GetEnroleeRequest get;
  get.set_kpm_id(KpmId(1));
  ASSERT_TRUE(stub_->GetEnrolee(Ctx().get(), get, &e).ok());
  Seen(e);
  v1::ListEnroleesRequest list;
  v1::ListEnroleesResponse lr;
  ASSERT_TRUE(stub_->ListEnrolees(Ctx().get(), list, &lr).ok());
  Seen(lr);
  v1::DisableEnroleeRequest dis;
  dis.set_kpm_id(KpmId(1));
  ASSERT_TRUE(stub_->DisableEnrolee(Ctx().get(), dis, &e).ok());
  Seen(e);
  v1::EnableEnroleeRequest en;
  en.set_kpm_id(KpmId(1));
  ASSERT_TRUE(stub_->EnableEnrolee(Ctx().get(), en, &e).ok());
  Seen(e);
  v1::RotateKpmRequest rot;
  rot.set_kpm_id(KpmId(2));
  rot.set_new_kpm(TestKpm(77));
  kpms.push_back(TestKpm(77));
  ASSERT_TRUE(stub_->RotateKpm(Ctx().get(), rot, &e).ok());
  Seen(e);
  v1::ListEnrolmentsRequest le;
  le.set_kpm_id(KpmId(2));
  v1::ListEnrolmentsResponse ler;
  ASSERT_TRUE(stub_->ListEnrolments(Ctx().get(), le, &ler).ok());
  Seen(ler);
  v1::RevokeEnroleeRequest rev;
  rev.set_kpm_id(KpmId(3));
  rev.set_reason("test");
  ASSERT_TRUE(stub_->RevokeEnrolee(Ctx().get(), rev, &e).ok());
  Seen(e);
  v1::DeleteEnroleeRequest del;
  del.set_kpm_id(KpmId(3));
  v1::DeleteEnroleeResponse dr;
  ASSERT_TRUE(stub_->DeleteEnrolee(Ctx().get(), del, &dr).ok());
  Seen(dr);
  // A rejected create with a bad MAF-ID must not echo the Kpm in its error either.
  v1::CreateEnroleeRequest bad = Row(9, "BAD");
  kpms.push_back(TestKpm(9));
  grpc::Status bs = Create(bad);
  responses_.push_back(bs.error_message());

  std::ifstream audit(server_->audit_path());
  std::stringstream audit_text;
  audit_text << audit.rdbuf();
  ASSERT_FALSE(audit_text.str().empty());
  responses_.push_back(audit_text.str());
  ASSERT_GE(responses_.size(), 12u);
  for (const std::string& kpm : kpms) {
    const std::string upper = crypto::HexUpper(kpm);
    const std::string lower = absl::AsciiStrToLower(upper);
    for (const std::string& text : responses_) {
      EXPECT_EQ(text.find(kpm), std::string::npos);
      EXPECT_EQ(text.find(upper), std::string::npos);
      EXPECT_EQ(text.find(lower), std::string::npos);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, MefAdminServiceTest, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace mef
}  // namespace onem2m
