#include "maf/grpc/maf_admin_service.h"

#include <fstream>
#include <sstream>

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
using ::onem2m::testing::StatusIs;

namespace v1 = ::onem2m::rsp::v1;
constexpr char kMaf[] = "maf.example.com";
constexpr char kOps[] = "ops.example.com";

class MafAdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_path_ = env_.Path("admin_audit.log");
    std::remove(audit_path_.c_str());
    ASSERT_TRUE(SetAuditPath(audit_path_));
    for (int i = 1; i <= 3; ++i) {
      MafCredential c;
      c.km_id = *crypto::KeyId::FromParts(std::string(15, 'K') + static_cast<char>(i), kMaf);
      c.ke_id =
          *crypto::KeyId::FromParts(std::string(15, 'E') + static_cast<char>(i), "mef.example.com");
      c.km = SealedKey{"sealed", 1};
      c.enrolee_id = "C-dev" + std::to_string(i);
      c.mef_fqdn = "mef.example.com";
      c.expires_at = absl::Now() + absl::Hours(1);
      ASSERT_THAT(store_->PutCredential(c), IsOk());
      absl::StatusOr<MafClient> client = store_->RegisterClient(c.km_id, absl::InfiniteFuture());
      ASSERT_THAT(client, IsOk());
      clients_.push_back(*client);
      MafKey k;
      k.key_id = *crypto::FormatKeyId(std::string(15, '\x11') + static_cast<char>(i), kMaf);
      k.relative_id = k.key_id.substr(0, 32);
      k.key = SealedKey{"sealed-key", 1};
      k.suid = 42;
      k.target_ids = {i == 1 ? "T1" : "T2"};
      k.maf_client_reg_id = client->maf_client_reg_id;
      k.expires_at = absl::Now() + absl::Minutes(30);
      ASSERT_THAT(store_->RegisterKey(k), IsOk());
      keys_.push_back(k.key_id);
    }
    MafAdminServiceOptions o;
    o.store = store_.get();
    o.admins = {kOps};
    o.on_client_revoked = [this](const crypto::KeyId& km_id) {
      forgotten_.push_back(km_id.ToString());
    };
    service_ = std::make_unique<MafAdminServiceImpl>(std::move(o));
    env_.Start({service_.get()});
  }

  std::unique_ptr<v1::MafAdminService::Stub> Stub(const std::string& who = kOps) {
    return v1::MafAdminService::NewStub(env_.Channel(who));
  }
  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  std::string AuditLog() {
    std::ifstream in(audit_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  ::onem2m::testing::MtlsEnv env_;
  std::unique_ptr<MemoryMafStore> store_ = MemoryMafStore::Create();
  std::unique_ptr<MafAdminServiceImpl> service_;
  std::vector<MafClient> clients_;
  std::vector<std::string> keys_;
  std::vector<std::string> forgotten_;
  std::string audit_path_;
};

TEST_F(MafAdminServiceTest, ListClientsPagesThroughAll) {
  auto stub = Stub();
  v1::ListClientsRequest req;
  req.set_page_size(2);
  int seen = 0;
  for (int page = 0; page < 5; ++page) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListClientsResponse out;
    grpc::Status s = stub->ListClients(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    seen += out.clients_size();
    for (const v1::MafClient& c : out.clients()) {
      EXPECT_EQ(c.state(), v1::MAF_CLIENT_STATE_ACTIVE);
      EXPECT_EQ(c.active_key_count(), 1u);
    }
    if (out.next_page_token().empty()) break;
    req.set_page_token(out.next_page_token());
  }
  EXPECT_EQ(seen, 3);
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ListClientsResponse out;
  req.set_page_token("garbage!");
  EXPECT_EQ(stub->ListClients(&ctx, req, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(MafAdminServiceTest, NonAdminIsPermissionDenied) {
  auto stub = Stub("target-a.example.com");
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ListClientsResponse out;
  EXPECT_EQ(stub->ListClients(&ctx, v1::ListClientsRequest(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MafAdminServiceTest, GetClientBySelector) {
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetClientRequest req;
    std::string lower = clients_[1].km_id.ToString();
    for (size_t i = 0; i < 32; ++i) lower[i] = static_cast<char>(std::tolower(lower[i]));
    req.set_km_id(lower);
    v1::MafClient out;
    grpc::Status s = stub->GetClient(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.maf_client_reg_id(), clients_[1].maf_client_reg_id);
    EXPECT_EQ(out.client_id(), "C-dev2");
    EXPECT_EQ(out.ke_id(), clients_[1].ke_id.ToString());
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::MafClient out;
    EXPECT_EQ(stub->GetClient(&ctx, v1::GetClientRequest(), &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetClientRequest req;
    req.set_maf_client_reg_id("MCnope");
    v1::MafClient out;
    EXPECT_EQ(stub->GetClient(&ctx, req, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(MafAdminServiceTest, RevokeClientRevokesItsKeysAuditsAndNotifies) {
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::RevokeClientRequest req;
    req.set_maf_client_reg_id(clients_[0].maf_client_reg_id);
    v1::MafClient out;
    EXPECT_EQ(stub->RevokeClient(&ctx, req, &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  }
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::RevokeClientRequest req;
  req.set_maf_client_reg_id(clients_[0].maf_client_reg_id);
  req.set_reason("device stolen");
  v1::MafClient out;
  grpc::Status s = stub->RevokeClient(&ctx, req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.state(), v1::MAF_CLIENT_STATE_REVOKED);
  EXPECT_EQ(out.revocation().actor().identity(), kOps);
  EXPECT_EQ(out.revocation().reason(), "device stolen");
  EXPECT_THAT(store_->GetActiveKey(keys_[0]), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetCredentialByKmId(clients_[0].km_id),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(forgotten_, std::vector<std::string>{clients_[0].km_id.ToString()});
  std::string audit = AuditLog();
  EXPECT_NE(audit.find("maf_admin_revoke_client"), std::string::npos);
  EXPECT_NE(audit.find("device stolen"), std::string::npos);
}

TEST_F(MafAdminServiceTest, ListKeysByTargetAndRevokeKey) {
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListKeysRequest req;
    req.set_target_id_filter("T2");
    v1::ListKeysResponse out;
    ASSERT_TRUE(stub->ListKeys(&ctx, req, &out).ok());
    EXPECT_EQ(out.keys_size(), 2);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::RevokeKeyRequest req;
    req.set_key_id(keys_[1]);
    req.set_reason("leaked");
    v1::MafKey out;
    grpc::Status s = stub->RevokeKey(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.state(), v1::MAF_KEY_STATE_REVOKED);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListKeysRequest req;
    req.set_state_filter(v1::MAF_KEY_STATE_REVOKED);
    v1::ListKeysResponse out;
    ASSERT_TRUE(stub->ListKeys(&ctx, req, &out).ok());
    ASSERT_EQ(out.keys_size(), 1);
    EXPECT_EQ(out.keys(0).key_id(), keys_[1]);
  }
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::RevokeKeyRequest req;
    req.set_key_id("bad");
    req.set_reason("x");
    v1::MafKey out;
    EXPECT_EQ(stub->RevokeKey(&ctx, req, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_NE(AuditLog().find("maf_admin_revoke_key"), std::string::npos);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
