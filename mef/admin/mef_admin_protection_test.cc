// MefAdminService protection of its data: KEK rotation re-seals every row, only admin identities
// get in, and no Kpm ever appears in a response or an audit record. Real gRPC server with mutual
// TLS, over the in-memory store and (when ONEM2M_TEST_PG is set) PostgreSQL.
#include "mef/admin/mef_admin_service.h"

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "mef/admin/testing/admin_service_fixture.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using testing::KpmId;
using testing::Row;
using testing::TestKpm;
using ::onem2m::testing::StatusIs;

class MefAdminProtectionTest : public testing::MefAdminFixture {};

// KEK rotation (docs/operations.md "Rotate the key-encryption key (KEK)"): rows sealed under
// version 1 by replicas that did not yet have version 2 are re-sealed under the active version 2
// by RewrapBatch, in batches, and KekStatus shows the progress.
TEST_P(MefAdminProtectionTest, KekStatusAndRewrapBatchRotateEveryRow) {
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
    e.ke = SealedKey{*old_envelope.Seal(SecretBytes::Copy(TestKpm(100 + n)), e.ke_id.ToString()), 1};
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
  absl::StatusOr<SecretBytes> ke_clear =
      new_envelope.Open(
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


TEST_P(MefAdminProtectionTest, NonAdminIdentityIsPermissionDenied) {
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

TEST_P(MefAdminProtectionTest, ClientWithoutCertificateIsRefused) {
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


TEST_P(MefAdminProtectionTest, KpmNeverAppearsInAnyResponseOrAuditRecord) {
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

INSTANTIATE_TEST_SUITE_P(Stores, MefAdminProtectionTest, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace mef
}  // namespace onem2m
