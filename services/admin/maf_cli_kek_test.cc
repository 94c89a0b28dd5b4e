// End-to-end tests of rsp_admin's `maf kek ...` commands (the KEK rotation of docs/operations.md
// as written) and of the CLI's help, version, usage errors and refusal of a non-admin, against a
// real MafAdminService with mutual TLS on the memory store and on PostgreSQL (when
// ONEM2M_TEST_PG is set). The fixture is maf_cli_test_fixture.h.
#include <string>
#include <vector>

#include "common/crypto/envelope.h"
#include "common/ops/build_info.h"
#include "gtest/gtest.h"
#include "services/admin/maf_cli_test_fixture.h"

namespace onem2m {
namespace admin {
namespace {

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
