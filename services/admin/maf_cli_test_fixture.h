// File: services/admin/maf_cli_test_fixture.h
//
// MafCliTest, parameterised by store ("memory", or "pg" when ONEM2M_TEST_PG is set): a real
// MafAdminService with mutual TLS over a store seeded with three credentials, clients and keys
// sealed under KEK version 1, while the service's keyring has versions 1 and 2 with 2 active (the
// state right after step 2 of docs/operations.md "Rotate the key-encryption key (KEK)"). Run()
// drives rsp_admin's RunAdminCli as `identity_` (the admin unless a test changes it);
// ExpectNoKeyMaterial() checks nothing printed holds a Km or a sealed blob.
//
//   TEST_P(MafCliTest, Something) {
//     CliResult r = Run({"maf", "clients", "list"});
//     EXPECT_EQ(r.code, 0) << r.err;
//   }
#ifndef ONEM2M_SERVICES_ADMIN_MAF_CLI_TEST_FIXTURE_H_
#define ONEM2M_SERVICES_ADMIN_MAF_CLI_TEST_FIXTURE_H_

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/pg/test_schema.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "gtest/gtest.h"
#include "maf/grpc/maf_admin_service.h"
#include "maf/store/memory_maf_store.h"
#include "maf/store/pg_maf_store.h"
#include "services/admin/admin_commands.h"

namespace onem2m {
namespace admin {

inline constexpr char kMaf[] = "maf.example.com";
inline constexpr char kAdmin[] = "ops.example.com";

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

inline crypto::Keyring Versions(const std::map<uint32_t, std::string>& keys, uint32_t active) {
  std::map<uint32_t, SecretBytes> k;
  for (const auto& [v, bytes] : keys) k.emplace(v, SecretBytes::Copy(bytes));
  return *crypto::Keyring::FromKeys(std::move(k), active);
}

class MafCliTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "pg") {
      if (!pg::TestSchema::Available()) GTEST_SKIP() << pg::TestSchema::SkipMessage();
      absl::StatusOr<std::unique_ptr<pg::TestSchema>> schema = pg::TestSchema::Create();
      ASSERT_TRUE(schema.ok()) << schema.status();
      schema_ = *std::move(schema);
      maf::PgMafStoreOptions o;
      o.pool = schema_->PoolOptionsFor();
      absl::StatusOr<std::unique_ptr<maf::PgMafStore>> s = maf::PgMafStore::Create(std::move(o));
      ASSERT_TRUE(s.ok()) << s.status();
      store_ = *std::move(s);
    } else {
      store_ = maf::MemoryMafStore::Create();
    }
    // Rows are sealed under KEK version 1; the service's keyring has 1 and 2, 2 active: the state
    // right after step 2 of docs/operations.md "Rotate the key-encryption key (KEK)".
    const std::string v1_key(crypto::kKekLen, '\x01');
    const std::string v2_key(crypto::kKekLen, '\x02');
    old_envelope_ = std::make_unique<crypto::Envelope>(Versions({{1, v1_key}}, 1));
    envelope_ = std::make_unique<crypto::Envelope>(Versions({{1, v1_key}, {2, v2_key}}, 2));
    for (int i = 1; i <= 3; ++i) {
      maf::MafCredential c;
      c.km_id = *crypto::KeyId::FromParts(std::string(15, 'K') + static_cast<char>(i), kMaf);
      c.ke_id =
          *crypto::KeyId::FromParts(std::string(15, 'E') + static_cast<char>(i), "mef.example.com");
      km_.push_back(SecretBytes::Random(32));
      c.km = maf::SealedKey{*old_envelope_->Seal(km_.back(), c.km_id.ToString()), 1};
      sealed_.push_back(c.km.ciphertext);
      c.enrolee_id = "C-dev" + std::to_string(i);
      c.mef_fqdn = "mef.example.com";
      c.expires_at = absl::Now() + absl::Hours(1);
      ASSERT_TRUE(store_->PutCredential(c).ok());
      absl::StatusOr<maf::MafClient> client =
          store_->RegisterClient(c.km_id, absl::InfiniteFuture());
      ASSERT_TRUE(client.ok()) << client.status();
      clients_.push_back(*client);
      maf::MafKey k;
      k.key_id = *crypto::FormatKeyId(std::string(15, '\x11') + static_cast<char>(i), kMaf);
      k.relative_id = k.key_id.substr(0, 32);
      k.key = maf::SealedKey{*old_envelope_->Seal(SecretBytes::Random(32), k.key_id), 1};
      sealed_.push_back(k.key.ciphertext);
      k.suid = 42;
      k.target_ids = {i == 1 ? "T1" : "T2"};
      k.maf_client_reg_id = client->maf_client_reg_id;
      k.expires_at = absl::Now() + absl::Minutes(30);
      ASSERT_TRUE(store_->RegisterKey(k).ok());
      keys_.push_back(k.key_id);
    }
    maf::MafAdminServiceOptions o;
    o.store = store_.get();
    o.admins = {kAdmin};
    o.envelope = envelope_.get();
    o.on_client_revoked = [this](const crypto::KeyId& km_id) {
      forgotten_.push_back(km_id.ToString());
    };
    service_ = std::make_unique<maf::MafAdminServiceImpl>(std::move(o));
    env_.Start({service_.get()});
    env_.Channel(kAdmin);  // writes the admin's certificate and key files
    env_.Channel("someone.example.com");
    identity_ = kAdmin;
  }

  CliResult Run(std::vector<std::string> words) {
    std::vector<std::string> argv = {"rsp_admin",
                                     "--maf=" + env_.address(),
                                     "--tls-cert=" + env_.Path("client-" + identity_ + ".crt"),
                                     "--tls-key=" + env_.Path("client-" + identity_ + ".key"),
                                     "--tls-ca=" + env_.Path("ca.crt"),
                                     "--server-name=localhost"};
    argv.insert(argv.end(), words.begin(), words.end());
    std::vector<const char*> c;
    for (const std::string& a : argv) c.push_back(a.c_str());
    std::ostringstream out, err;
    std::istringstream in;
    const int code = RunAdminCli(static_cast<int>(c.size()), c.data(), in, out, err);
    all_output_ += out.str() + err.str();
    return {code, out.str(), err.str()};
  }

  // ExpectNoKeyMaterial checks that nothing printed holds a Km, a sealed blob or its hex.
  void ExpectNoKeyMaterial() {
    for (const SecretBytes& km : km_) {
      EXPECT_EQ(all_output_.find(crypto::HexUpper(km.Reveal())), std::string::npos);
    }
    for (const std::string& blob : sealed_) {
      EXPECT_EQ(all_output_.find(crypto::HexUpper(blob)), std::string::npos);
      EXPECT_EQ(all_output_.find(blob), std::string::npos);
    }
  }

  std::unique_ptr<pg::TestSchema> schema_;
  std::unique_ptr<maf::MafStore> store_;
  std::unique_ptr<crypto::Envelope> old_envelope_;
  std::unique_ptr<crypto::Envelope> envelope_;
  std::vector<SecretBytes> km_;
  std::vector<std::string> sealed_;
  std::vector<maf::MafClient> clients_;
  std::vector<std::string> keys_;
  std::unique_ptr<maf::MafAdminServiceImpl> service_;
  ::onem2m::testing::MtlsEnv env_;
  std::string identity_;
  std::string all_output_;
  std::vector<std::string> forgotten_;  // KmIDs the service told the (absent) resolver to drop
};

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_MAF_CLI_TEST_FIXTURE_H_
