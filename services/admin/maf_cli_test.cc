// End-to-end tests of rsp_admin's `maf ...` commands against a real MafAdminService with mutual
// TLS, on the memory store and on PostgreSQL (when ONEM2M_TEST_PG is set).
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/ops/build_info.h"
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
namespace {

constexpr char kMaf[] = "maf.example.com";
constexpr char kAdmin[] = "ops.example.com";

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

crypto::Keyring Versions(const std::map<uint32_t, std::string>& keys, uint32_t active) {
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

// The MAF rotation steps of docs/operations.md "Rotate the key-encryption key (KEK)", as written.
TEST_P(MafCliTest, KekStatusRewrapAndRetireFollowTheDocumentedRotation) {
  CliResult r = Run({"maf", "kek", "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("active_kek_version: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("maf_credentials.km kek_version=1 rows=3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("maf_keys.key kek_version=1 rows=3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows_under_old_versions: 6"), std::string::npos) << r.out;
  r = Run({"maf", "kek", "status", "--output=json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"column\":\"maf_keys.key\""), std::string::npos) << r.out;

  r = Run({"maf", "kek", "retire", "--version=1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("maf kek retire refused: 6 rows are still sealed under version 1"),
            std::string::npos)
      << r.err;

  r = Run({"maf", "kek", "rewrap", "--batch-size=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("maf kek rewrap: batch 1: 4 re-sealed, 4 total, 2 left"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("maf kek rewrap: batch 2: 2 re-sealed, 6 total, 0 left"), std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("every row is now under KEK version 2"), std::string::npos) << r.out;

  r = Run({"maf", "kek", "status"});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("maf_credentials.km kek_version=2 rows=3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows_under_old_versions: 0"), std::string::npos) << r.out;
  r = Run({"maf", "kek", "rewrap"});  // resuming after completion is a no-op
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rewrapped 0 rows in 1 batches"), std::string::npos) << r.out;
  r = Run({"maf", "kek", "retire", "--version=1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("may now be removed"), std::string::npos) << r.out;
  r = Run({"maf", "kek", "retire", "--version=2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is the active KEK version"), std::string::npos) << r.err;
  EXPECT_EQ(Run({"maf", "kek", "rewrap", "--batch-size=0"}).code, 2);

  // The same Km, now sealed under version 2 and opened without version 1.
  crypto::Envelope v2_only(Versions({{2, std::string(crypto::kKekLen, '\x02')}}, 2));
  for (size_t i = 0; i < clients_.size(); ++i) {
    absl::StatusOr<maf::MafCredential> c = store_->GetCredentialByKmId(clients_[i].km_id);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->km.kek_version, 2);
    absl::StatusOr<SecretBytes> km = v2_only.Open(c->km.ciphertext, c->km_id.ToString());
    ASSERT_TRUE(km.ok()) << km.status();
    EXPECT_EQ(km->Reveal(), km_[i].Reveal());
    absl::StatusOr<maf::MafKey> k = store_->GetKey(keys_[i]);
    ASSERT_TRUE(k.ok());
    EXPECT_TRUE(v2_only.Open(k->key.ciphertext, k->key_id).ok());
  }
  ExpectNoKeyMaterial();
}

TEST_P(MafCliTest, ClientsListPagesGetAndRevoke) {
  CliResult one = Run({"maf", "clients", "list", "--page-size=2"});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.err.find("2 clients\nnext_page_token: "), std::string::npos) << one.err;
  const std::string token = one.err.substr(one.err.find("next_page_token: ") + 17);
  CliResult rest = Run({"maf", "clients", "list", "--page-size=2",
                        "--page-token=" + token.substr(0, token.size() - 1)});
  ASSERT_EQ(rest.code, 0) << rest.err;
  EXPECT_NE(rest.err.find("1 clients\n"), std::string::npos) << rest.err;
  EXPECT_EQ(rest.err.find("next_page_token"), std::string::npos) << rest.err;

  CliResult all = Run({"maf", "clients", "list", "--page-size=2", "--all"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_NE(all.err.find("3 clients\n"), std::string::npos) << all.err;
  for (const maf::MafClient& c : clients_) {
    EXPECT_NE(all.out.find(c.maf_client_reg_id + "\tactive\t" + c.enrolee_id), std::string::npos)
        << all.out;
  }
  CliResult json = Run({"maf", "clients", "list", "--page-size=1", "--all", "--output=json"});
  ASSERT_EQ(json.code, 0) << json.err;
  size_t n = 0;
  for (size_t at = json.out.find("\"maf_client_reg_id\""); at != std::string::npos;
       at = json.out.find("\"maf_client_reg_id\"", at + 1)) {
    ++n;
  }
  EXPECT_EQ(n, 3u) << json.out;
  EXPECT_EQ(json.out.rfind("{\"clients\":[", 0), 0u) << json.out;

  CliResult by_km = Run({"maf", "clients", "get", "--km-id=" + clients_[1].km_id.ToString()});
  ASSERT_EQ(by_km.code, 0) << by_km.err;
  EXPECT_NE(by_km.out.find("reg_id:       " + clients_[1].maf_client_reg_id), std::string::npos);
  EXPECT_NE(by_km.out.find("active_keys:  1"), std::string::npos) << by_km.out;
  CliResult get_json =
      Run({"maf", "clients", "get", "--reg-id=" + clients_[0].maf_client_reg_id, "--output=json"});
  ASSERT_EQ(get_json.code, 0) << get_json.err;
  EXPECT_NE(get_json.out.find("\"state\":\"MAF_CLIENT_STATE_ACTIVE\""), std::string::npos)
      << get_json.out;

  EXPECT_EQ(Run({"maf", "clients", "revoke", "--reg-id=" + clients_[0].maf_client_reg_id}).code,
            2);  // --reason is required
  CliResult rv = Run({"maf", "clients", "revoke", "--reg-id=" + clients_[0].maf_client_reg_id,
                      "--reason=lost device"});
  ASSERT_EQ(rv.code, 0) << rv.err;
  EXPECT_NE(rv.out.find("state:        revoked"), std::string::npos) << rv.out;
  EXPECT_NE(rv.out.find("by ops.example.com: lost device"), std::string::npos) << rv.out;
  CliResult revoked = Run({"maf", "clients", "list", "--state=revoked", "--all"});
  EXPECT_NE(revoked.err.find("1 clients"), std::string::npos) << revoked.err;
  CliResult missing = Run({"maf", "clients", "get", "--reg-id=MCnope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("NOT_FOUND"), std::string::npos) << missing.err;
  ExpectNoKeyMaterial();
}

TEST_P(MafCliTest, KeysListGetAndRevoke) {
  CliResult t1 = Run({"maf", "keys", "list", "--target=T1", "--all"});
  ASSERT_EQ(t1.code, 0) << t1.err;
  EXPECT_NE(t1.err.find("1 keys"), std::string::npos) << t1.err;
  EXPECT_NE(t1.out.find(keys_[0] + "\tactive\t42\t"), std::string::npos) << t1.out;
  CliResult page = Run({"maf", "keys", "list", "--page-size=2"});
  ASSERT_EQ(page.code, 0) << page.err;
  EXPECT_NE(page.err.find("2 keys\nnext_page_token: "), std::string::npos) << page.err;
  CliResult json = Run({"maf", "keys", "list", "--all", "--output=json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"key_id\":\"" + keys_[2] + "\""), std::string::npos) << json.out;

  CliResult g = Run({"maf", "keys", "get", "--key-id=" + keys_[1]});
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_NE(g.out.find("targets:      T2"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("reg_id:       " + clients_[1].maf_client_reg_id), std::string::npos);
  EXPECT_EQ(Run({"maf", "keys", "get", "--key-id=not-a-key-id"}).code, 1);  // INVALID_ARGUMENT
  EXPECT_EQ(Run({"maf", "keys", "get"}).code, 2);

  CliResult rv = Run({"maf", "keys", "revoke", "--key-id=" + keys_[1], "--reason=leaked"});
  ASSERT_EQ(rv.code, 0) << rv.err;
  EXPECT_NE(rv.out.find("state:        revoked"), std::string::npos) << rv.out;
  EXPECT_EQ(store_->GetActiveKey(keys_[1]).status().code(), absl::StatusCode::kNotFound);
  CliResult revoked = Run({"maf", "keys", "list", "--state=revoked", "--all"});
  EXPECT_NE(revoked.err.find("1 keys"), std::string::npos) << revoked.err;
  ExpectNoKeyMaterial();
}

TEST_P(MafCliTest, CredentialsListPagesGetAndRevoke) {
  CliResult one = Run({"maf", "credentials", "list", "--page-size=2"});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(one.out.rfind("km_id\tstate\tenrolee_id\tke_id\texpires\tlast_handshake\n", 0), 0u)
      << one.out;
  EXPECT_NE(one.err.find("2 credentials\nnext_page_token: "), std::string::npos) << one.err;
  const std::string token = one.err.substr(one.err.find("next_page_token: ") + 17);
  CliResult rest = Run({"maf", "credentials", "list", "--page-size=2",
                        "--page-token=" + token.substr(0, token.size() - 1)});
  ASSERT_EQ(rest.code, 0) << rest.err;
  EXPECT_NE(rest.err.find("1 credentials\n"), std::string::npos) << rest.err;
  EXPECT_EQ(rest.err.find("next_page_token"), std::string::npos) << rest.err;

  CliResult all = Run({"maf", "credentials", "list", "--page-size=1", "--all"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_NE(all.err.find("3 credentials\n"), std::string::npos) << all.err;
  for (const maf::MafClient& c : clients_) {
    EXPECT_NE(
        all.out.find(c.km_id.ToString() + "\tactive\t" + c.enrolee_id + "\t" + c.ke_id.ToString()),
        std::string::npos)
        << all.out;
  }
  CliResult json = Run({"maf", "credentials", "list", "--all", "--output=json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out.rfind("{\"credentials\":[", 0), 0u) << json.out;
  EXPECT_NE(json.out.find("\"ke_id\":\"" + clients_[2].ke_id.ToString() + "\""), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"kek_version\":1"), std::string::npos) << json.out;
  CliResult by_enrolee = Run({"maf", "credentials", "list", "--enrolee-id=C-dev2", "--all"});
  ASSERT_EQ(by_enrolee.code, 0) << by_enrolee.err;
  EXPECT_NE(by_enrolee.err.find("1 credentials\n"), std::string::npos) << by_enrolee.err;
  CliResult other_mef = Run({"maf", "credentials", "list", "--mef-fqdn=other.example.com"});
  ASSERT_EQ(other_mef.code, 0) << other_mef.err;
  EXPECT_NE(other_mef.err.find("0 credentials\n"), std::string::npos) << other_mef.err;

  CliResult by_ke = Run({"maf", "credentials", "get", "--ke-id=" + clients_[1].ke_id.ToString()});
  ASSERT_EQ(by_ke.code, 0) << by_ke.err;
  EXPECT_NE(by_ke.out.find("km_id:        " + clients_[1].km_id.ToString()), std::string::npos)
      << by_ke.out;
  EXPECT_NE(by_ke.out.find("mef:          mef.example.com"), std::string::npos) << by_ke.out;
  EXPECT_NE(by_ke.out.find("state:        active"), std::string::npos) << by_ke.out;
  CliResult get_json = Run(
      {"maf", "credentials", "get", "--km-id=" + clients_[0].km_id.ToString(), "--output=json"});
  ASSERT_EQ(get_json.code, 0) << get_json.err;
  EXPECT_NE(get_json.out.find("\"state\":\"MAF_CREDENTIAL_STATE_ACTIVE\""), std::string::npos)
      << get_json.out;
  CliResult missing =
      Run({"maf", "credentials", "get", "--ke-id=" + std::string(32, 'A') + "@mef.example.com"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("NOT_FOUND"), std::string::npos) << missing.err;

  EXPECT_EQ(Run({"maf", "credentials", "revoke", "--ke-id=" + clients_[0].ke_id.ToString()}).code,
            2);  // --reason is required
  CliResult rv = Run({"maf", "credentials", "revoke", "--ke-id=" + clients_[0].ke_id.ToString(),
                      "--reason=lost device"});
  ASSERT_EQ(rv.code, 0) << rv.err;
  EXPECT_NE(rv.out.find("state:        revoked"), std::string::npos) << rv.out;
  EXPECT_NE(rv.out.find("by ops.example.com: lost device"), std::string::npos) << rv.out;
  EXPECT_EQ(rv.out.find("kek_version"), std::string::npos) << rv.out;  // the Km is wiped
  // The MAF refuses the Km from now on: the store says revoked, this replica's cache is dropped,
  // and the client registered with it is revoked with its key.
  EXPECT_EQ(store_->GetCredentialByKmId(clients_[0].km_id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetCredentialByKeId(clients_[0].ke_id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(forgotten_, std::vector<std::string>{clients_[0].km_id.ToString()});
  absl::StatusOr<maf::MafClient> client = store_->GetClient(clients_[0].maf_client_reg_id);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->state, maf::ClientState::kRevoked);
  EXPECT_EQ(store_->GetActiveKey(keys_[0]).status().code(), absl::StatusCode::kNotFound);
  CliResult again = Run({"maf", "credentials", "revoke", "--km-id=" + clients_[0].km_id.ToString(),
                         "--reason=again", "--output=json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("\"reason\":\"lost device\""), std::string::npos) << again.out;
  CliResult revoked = Run({"maf", "credentials", "list", "--state=revoked", "--all"});
  EXPECT_NE(revoked.err.find("1 credentials"), std::string::npos) << revoked.err;
  EXPECT_NE(revoked.out.find(clients_[0].km_id.ToString() + "\trevoked\t"), std::string::npos)
      << revoked.out;
  ExpectNoKeyMaterial();
}

TEST_P(MafCliTest, RevokeCommandsPrintJsonWithOutputJson) {
  CliResult c = Run({"maf", "clients", "revoke", "--reg-id=" + clients_[1].maf_client_reg_id,
                     "--reason=stolen", "--output=json"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("\"state\":\"MAF_CLIENT_STATE_REVOKED\""), std::string::npos) << c.out;
  CliResult k =
      Run({"maf", "keys", "revoke", "--key-id=" + keys_[2], "--reason=leaked", "--output=json"});
  ASSERT_EQ(k.code, 0) << k.err;
  EXPECT_NE(k.out.find("\"state\":\"MAF_KEY_STATE_REVOKED\""), std::string::npos) << k.out;
  EXPECT_EQ(
      Run({"maf", "keys", "revoke", "--key-id=" + keys_[2], "--reason=x", "--output=xml"}).code, 2);
  ExpectNoKeyMaterial();
}

TEST_P(MafCliTest, HelpVersionUsageAndPermission) {
  // The stamped build info, as the servers print it ("rsp_admin dev (commit unknown)" unstamped).
  CliResult v = Run({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, ops::VersionString("rsp_admin"));
  EXPECT_NE(v.out.find(std::string(ops::BuildCommit())), std::string::npos) << v.out;
  CliResult h = Run({"maf", "keys", "list", "--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--page-token"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("--all"), std::string::npos) << h.out;
  EXPECT_EQ(Run({"maf", "kek", "status", "-h"}).code, 0);
  EXPECT_EQ(Run({"maf"}).code, 2);
  EXPECT_EQ(Run({"maf", "keys", "frobnicate"}).code, 2);
  EXPECT_EQ(Run({"maf", "keys", "list", "--output=yaml"}).code, 2);
  EXPECT_EQ(Run({"maf", "keys", "list", "--no-such-option"}).code, 2);
  EXPECT_EQ(Run({"maf", "clients", "get", "--reg-id=a", "--km-id=b"}).code, 2);
  EXPECT_EQ(Run({"maf", "credentials", "get"}).code, 2);
  EXPECT_EQ(Run({"maf", "credentials", "get", "--km-id=a", "--ke-id=b"}).code, 2);
  EXPECT_EQ(Run({"maf", "credentials", "list", "--state=deregistered"}).code, 2);
  CliResult ch = Run({"maf", "credentials", "--help"});
  EXPECT_EQ(ch.code, 0);
  EXPECT_NE(ch.out.find("revoke"), std::string::npos) << ch.out;
  identity_ = "someone.example.com";
  CliResult denied = Run({"maf", "kek", "status"});
  EXPECT_EQ(denied.code, 1);
  EXPECT_NE(denied.err.find("PERMISSION_DENIED"), std::string::npos) << denied.err;
}

INSTANTIATE_TEST_SUITE_P(Stores, MafCliTest, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace admin
}  // namespace onem2m
