#include "maf/grpc/maf_key_service.h"

#include <prometheus/text_serializer.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/log/logger.h"
#include "common/testing/mtls_env.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;

namespace v1 = ::onem2m::rsp::v1;
constexpr char kMaf[] = "maf.example.com";

class MafKeyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_path_ = env_.Path("key_audit.log");
    std::remove(audit_path_.c_str());
    ASSERT_TRUE(SetAuditPath(audit_path_));
    // One registered client with one key for target-a.
    MafCredential c;
    c.km_id = *crypto::KeyId::FromParts(std::string(16, 'K'), kMaf);
    c.ke_id = *crypto::KeyId::FromParts(std::string(16, 'E'), "mef.example.com");
    c.km = SealedKey{"sealed", 1};
    c.enrolee_id = "C-dev1";
    c.mef_fqdn = "mef.example.com";
    c.expires_at = absl::Now() + absl::Hours(1);
    ASSERT_THAT(store_->PutCredential(c), IsOk());
    absl::StatusOr<MafClient> client = store_->RegisterClient(c.km_id, absl::InfiniteFuture());
    ASSERT_THAT(client, IsOk());
    key_value_ = SecretBytes::Copy(std::string(32, 'k'));
    MafKey k;
    k.key_id = *crypto::FormatKeyId(std::string(16, '\x11'), kMaf);
    k.relative_id = k.key_id.substr(0, 32);
    k.key = SealedKey{*envelope_.Seal(key_value_, k.key_id), 1};
    k.suid = 42;
    k.target_ids = {"target-a.example.com", "C-other"};
    k.maf_client_reg_id = client->maf_client_reg_id;
    k.expires_at = absl::Now() + absl::Minutes(30);
    ASSERT_THAT(store_->RegisterKey(k), IsOk());
    key_id_ = k.key_id;
    env_.Start({&service_});
  }

  grpc::Status Get(const std::string& caller, const std::string& key_id, v1::GetKeyResponse* out) {
    auto stub = v1::MafKeyService::NewStub(env_.Channel(caller));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetKeyRequest req;
    req.set_key_id(key_id);
    return stub->GetKey(&ctx, req, out);
  }
  std::string AuditLog() {
    std::ifstream in(audit_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  ::onem2m::testing::MtlsEnv env_;
  std::unique_ptr<MemoryMafStore> store_ = MemoryMafStore::Create();
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  prometheus::Registry registry_;
  MafMetrics metrics_{registry_};
  MafKeyServiceImpl service_{store_.get(), &envelope_, kMaf, &metrics_};
  SecretBytes key_value_;
  std::string key_id_;
  std::string audit_path_;
};

TEST_F(MafKeyServiceTest, TargetGetsTheKey) {
  v1::GetKeyResponse out;
  std::string lower = key_id_;
  for (size_t i = 0; i < 32; ++i) lower[i] = static_cast<char>(std::tolower(lower[i]));
  grpc::Status s = Get("target-a.example.com", lower, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.key(), std::string(key_value_.Reveal()));
  EXPECT_EQ(out.suid(), 42u);
  EXPECT_EQ(out.key_id(), key_id_);
  EXPECT_EQ(out.client_id(), "C-dev1");
  EXPECT_EQ(out.target_ids_size(), 2);
  EXPECT_GT(out.expires_at().seconds(), 0);
  std::string audit = AuditLog();
  EXPECT_NE(audit.find("maf_get_key"), std::string::npos);
  EXPECT_NE(audit.find("target-a.example.com"), std::string::npos);
  EXPECT_EQ(audit.find(crypto::HexUpper(key_value_.Reveal())), std::string::npos);
  EXPECT_EQ(audit.find(std::string(key_value_.Reveal())), std::string::npos);
}

TEST_F(MafKeyServiceTest, KeyRetrievalRefusesTargetNotInTargetIds) {
  v1::GetKeyResponse out;
  grpc::Status s = Get("target-b.example.com", key_id_, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(out.key().empty());
  std::string audit = AuditLog();
  EXPECT_NE(audit.find("permission_denied"), std::string::npos);
  EXPECT_NE(audit.find("target-b.example.com"), std::string::npos);
}

TEST_F(MafKeyServiceTest, MalformedOrForeignKeyIdIsInvalidArgument) {
  v1::GetKeyResponse out;
  EXPECT_EQ(Get("target-a.example.com", "nonsense", &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get("target-a.example.com", key_id_ + ".", &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  std::string foreign = key_id_.substr(0, 33) + "other.example.com";
  EXPECT_EQ(Get("target-a.example.com", foreign, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(MafKeyServiceTest, UnknownRevokedAndDeregisteredKeysAreTheSameNotFound) {
  v1::GetKeyResponse out;
  std::string unknown = *crypto::FormatKeyId(std::string(16, '\x22'), kMaf);
  grpc::Status a = Get("target-a.example.com", unknown, &out);
  EXPECT_EQ(a.error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_THAT(store_->RevokeKey(key_id_, Revocation{"ops", "test", {}}), IsOk());
  grpc::Status b = Get("target-a.example.com", key_id_, &out);
  EXPECT_EQ(b.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(a.error_message(), b.error_message());
  // A non-target asking for a revoked key learns nothing more than NOT_FOUND either.
  EXPECT_EQ(Get("target-b.example.com", key_id_, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(MafKeyServiceTest, EveryCallIsCountedAndTimedByOutcome) {
  v1::GetKeyResponse out;
  ASSERT_TRUE(Get("target-a.example.com", key_id_, &out).ok());
  ASSERT_EQ(Get("target-b.example.com", key_id_, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(Get("target-a.example.com", "nonsense", &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  prometheus::TextSerializer serializer;
  const std::string text = serializer.Serialize(registry_.Collect());
  for (const char* outcome : {"ok", "permission_denied", "invalid_argument"}) {
    EXPECT_NE(
        text.find(absl::StrCat("onem2m_maf_key_retrievals_total{outcome=\"", outcome, "\"} 1")),
        std::string::npos)
        << outcome << "\n"
        << text;
    EXPECT_NE(text.find(absl::StrCat("onem2m_maf_key_retrieval_duration_seconds_count{outcome=\"",
                                     outcome, "\"} 1")),
              std::string::npos)
        << outcome;
  }
  // The Key Identifier asked for never becomes a label value.
  EXPECT_EQ(text.find("nonsense"), std::string::npos);
}

TEST_F(MafKeyServiceTest, CallerWithoutCertificateIsRefused) {
  v1::GetKeyResponse out;
  EXPECT_FALSE(Get("", key_id_, &out).ok());
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
