// End-to-end tests of rsp_admin's `maf clients|keys|credentials ...` commands against a real
// MafAdminService with mutual TLS, on the memory store and on PostgreSQL (when ONEM2M_TEST_PG is
// set): listing with paging, get, revoke, and JSON output. The fixture is maf_cli_test_fixture.h.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "services/admin/maf_cli_test_fixture.h"

namespace onem2m {
namespace admin {
namespace {

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
    EXPECT_NE(all.out.find(c.km_id.ToString() + "\tactive\t" + c.enrolee_id + "\t" + c.ke_id.ToString()),
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
  EXPECT_NE(by_ke.out.find("km_id:        " + clients_[1].km_id.ToString()), std::string::npos) << by_ke.out;
  EXPECT_NE(by_ke.out.find("mef:          mef.example.com"), std::string::npos) << by_ke.out;
  EXPECT_NE(by_ke.out.find("state:        active"), std::string::npos) << by_ke.out;
  CliResult get_json =
      Run({"maf", "credentials", "get", "--km-id=" + clients_[0].km_id.ToString(), "--output=json"});
  ASSERT_EQ(get_json.code, 0) << get_json.err;
  EXPECT_NE(get_json.out.find("\"state\":\"MAF_CREDENTIAL_STATE_ACTIVE\""), std::string::npos)
      << get_json.out;
  CliResult missing =
      Run({"maf", "credentials", "get", "--ke-id=" + std::string(32, 'A') + "@mef.example.com"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("NOT_FOUND"), std::string::npos) << missing.err;

  EXPECT_EQ(Run({"maf", "credentials", "revoke", "--ke-id=" + clients_[0].ke_id.ToString()}).code,
            2);  // --reason is required
  CliResult rv =
      Run({"maf", "credentials", "revoke", "--ke-id=" + clients_[0].ke_id.ToString(), "--reason=lost device"});
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
  EXPECT_NE(revoked.out.find(clients_[0].km_id.ToString() + "\trevoked\t"), std::string::npos) << revoked.out;
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

INSTANTIATE_TEST_SUITE_P(Stores, MafCliTest, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace admin
}  // namespace onem2m
