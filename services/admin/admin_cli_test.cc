// End-to-end tests of rsp_admin's command library against a real MefAdminService with mutual TLS
// (memory store; PostgreSQL too when ONEM2M_TEST_PG is set).
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"
#include "common/testing/test_pki.h"
#include "gtest/gtest.h"
#include "mef/admin/testing/admin_test_server.h"
#include "mef/admin/testing/failing_store.h"
#include "services/admin/admin_commands.h"

namespace onem2m {
namespace admin {
namespace {

using mef::testing::AdminTestServer;

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

class AdminCliTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { Start(mef::MefAdminOptions{}, nullptr); }

  void Start(mef::MefAdminOptions options, AdminTestServer::Wrap wrap) {
    server_.reset();
    auto s = AdminTestServer::Start(GetParam(), std::move(options), std::move(wrap));
    if (s.status().code() == absl::StatusCode::kFailedPrecondition) {
      GTEST_SKIP() << s.status().message();
    }
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    files_ = server_->ClientFiles(mef::testing::kAdminIdentity);
  }

  std::string Path(const std::string& name) { return server_->dir() + "/" + name; }

  CliResult Run(std::vector<std::string> words, const std::string& stdin_text = "") {
    std::vector<std::string> argv = {"rsp_admin",
                                     "--mef=" + server_->address(),
                                     "--tls_cert=" + files_.cert_file,
                                     "--tls_key=" + files_.key_file,
                                     "--tls_ca=" + files_.ca_file,
                                     "--server_name=localhost"};
    argv.insert(argv.end(), words.begin(), words.end());
    std::vector<const char*> c;
    for (const std::string& a : argv) c.push_back(a.c_str());
    std::ostringstream out, err;
    std::istringstream in(stdin_text);
    const int code = RunAdminCli(static_cast<int>(c.size()), c.data(), in, out, err);
    all_output_ += out.str() + err.str();
    return {code, out.str(), err.str()};
  }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(::onem2m::testing::TestPki::WriteFile(Path(name), text).ok());
  }

  // ExpectNoKey checks that nothing the CLI printed contains `kpm_hex` (either case).
  void ExpectNoKey(const std::string& kpm_hex) {
    EXPECT_EQ(all_output_.find(absl::AsciiStrToUpper(kpm_hex)), std::string::npos);
    EXPECT_EQ(all_output_.find(absl::AsciiStrToLower(kpm_hex)), std::string::npos);
  }

  std::unique_ptr<AdminTestServer> server_;
  grpcutil::TlsFiles files_;
  std::string all_output_;
};

// The rotation steps of docs/operations.md "Rotate the key-encryption key (KEK)", as written there.
TEST_P(AdminCliTest, KekStatusRewrapAndRetireFollowTheDocumentedRotation) {
  crypto::Keyring v1_only = crypto::Keyring::Generate(1);
  std::map<uint32_t, SecretBytes> keys;
  keys.emplace(1, SecretBytes::Copy(v1_only.key(1)->Reveal()));
  keys.emplace(2, SecretBytes::Random(crypto::kKekLen));
  absl::StatusOr<crypto::Keyring> both = crypto::Keyring::FromKeys(std::move(keys), 2);
  ASSERT_TRUE(both.ok()) << both.status();
  crypto::Envelope old_envelope(std::move(v1_only));
  crypto::Envelope new_envelope(*std::move(both));
  mef::MefAdminOptions o;
  o.envelope = &new_envelope;
  Start(std::move(o), nullptr);
  if (IsSkipped()) return;
  for (int i = 1; i <= 3; ++i) {
    mef::Enrolee e;
    e.kpm_id = absl::StrCat("kek-", i);
    e.kpm = mef::SealedKey{*old_envelope.Seal(SecretBytes::Random(32), e.kpm_id), 1};
    e.enrolee_id = "C" + e.kpm_id;
    e.maf_id = "maf.example.com";
    ASSERT_TRUE(server_->store()->CreateEnrolee(e).ok());
  }

  CliResult r = Run({"kek", "status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("active_kek_version: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("enrolees.kpm kek_version=1 rows=3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows_under_old_versions: 3"), std::string::npos) << r.out;

  r = Run({"kek", "retire", "--version=1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("refused: 3 rows are still sealed under version 1"), std::string::npos)
      << r.err;

  r = Run({"kek", "rewrap", "--batch-size=2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("kek rewrap: batch 1: 2 re-sealed, 2 total, 1 left"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("kek rewrap: batch 2: 1 re-sealed, 3 total, 0 left"), std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("rewrapped 3 rows in 2 batches"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("every row is now under KEK version 2"), std::string::npos) << r.out;

  r = Run({"kek", "status"});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("enrolees.kpm kek_version=2 rows=3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows_under_old_versions: 0"), std::string::npos) << r.out;
  // Running it again is a no-op (what "resume" does after an interruption).
  r = Run({"kek", "rewrap"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rewrapped 0 rows in 1 batches"), std::string::npos) << r.out;

  r = Run({"kek", "retire", "--version=1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("may now be removed"), std::string::npos) << r.out;
  r = Run({"kek", "retire", "--version=2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is the active KEK version"), std::string::npos) << r.err;
  EXPECT_EQ(Run({"kek", "rewrap", "--batch-size=0"}).code, 2);
  EXPECT_EQ(Run({"kek", "retire"}).code, 2);
}

TEST_P(AdminCliTest, ImportsGeneratedFileOf5000RowsThenReportsDuplicatesOnRerun) {
  CliResult gen =
      Run({"import", "gen", "--count=5000", "--out=" + Path("e.csv"), "--maf-id=maf.example.com",
           "--kpm-out=" + Path("keys.csv"), "--lifetime=24h"});
  ASSERT_EQ(gen.code, 0) << gen.err;
  struct stat st;
  ASSERT_EQ(stat(Path("e.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(Path("keys.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Generating over an existing file is refused.
  EXPECT_EQ(
      Run({"import", "gen", "--count=1", "--out=" + Path("e.csv"), "--maf-id=maf.example.com"})
          .code,
      1);

  CliResult imp = Run({"import", "--file=" + Path("e.csv")});
  ASSERT_EQ(imp.code, 0) << imp.out << imp.err;
  EXPECT_NE(imp.out.find("5000 rows in file, 5000 sent, 5000 stored, 0 rejected"),
            std::string::npos)
      << imp.out;
  EXPECT_NE(imp.err.find("\r imported 5000/5000 rows ("), std::string::npos) << imp.err;
  std::cout << "[ throughput ] " << GetParam() << ": " << imp.out;

  // The device key list matches what the MEF sealed.
  std::ifstream keys(Path("keys.csv"));
  std::string line;
  std::getline(keys, line);
  EXPECT_EQ(line, "kpm_id,kpm_hex");
  std::getline(keys, line);
  std::vector<std::string> kv = absl::StrSplit(line, ',');
  ASSERT_EQ(kv.size(), 2u);
  absl::StatusOr<mef::Enrolee> stored = server_->store()->GetEnrolee(kv[0]);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->enrolment_lifetime, absl::Hours(24));
  absl::StatusOr<SecretBytes> kpm = server_->envelope().Open(stored->kpm.ciphertext, kv[0]);
  ASSERT_TRUE(kpm.ok());
  EXPECT_EQ(crypto::HexUpper(kpm->Reveal()), kv[1]);

  CliResult again = Run({"import", "--file=" + Path("e.csv")});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("0 stored, 5000 rejected"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("ALREADY_EXISTS"), std::string::npos);
  EXPECT_NE(again.out.find("only the first 1000 rejections"), std::string::npos);
  ExpectNoKey(kv[1]);
}

TEST_P(AdminCliTest, ImportReportsRejectedRowsWithReasons) {
  const std::string k = "00112233445566778899AABBCCDDEEFF";
  Write("bad.csv",
        "kpm_id,kpm_hex,enrolee_id,maf_id,maf_uri,lifetime_seconds\n"
        "ok-1," +
            k +
            ",C1,maf.example.com,,\n"
            "short,0011,C2,maf.example.com,,\n"  // line 3: server: kpm size
            "badhex,zz" +
            k.substr(2) +
            ",C3,maf.example.com,,\n"  // line 4: client
            "upper," +
            k +
            ",C4,MAF.example.com,,\n"  // line 5: server: maf_id
            "ok-1," +
            k +
            ",C5,maf.example.com,,\n"  // line 6: duplicate
            "ok-2," +
            k + ",C6,maf.example.com,,60\n");
  CliResult r = Run({"import", "--file=" + Path("bad.csv")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("6 rows in file, 5 sent, 2 stored, 4 rejected"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("row 3 kpm_id=\"short\" INVALID_ARGUMENT: kpm: must be 16..64 bytes"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("row 4 kpm_id=\"badhex\" INVALID_ARGUMENT: kpm_hex: not hexadecimal "
                       "(refused by rsp_admin, not sent)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("row 5 kpm_id=\"upper\" INVALID_ARGUMENT: maf_id"), std::string::npos);
  EXPECT_NE(r.out.find("row 6 kpm_id=\"ok-1\" ALREADY_EXISTS"), std::string::npos);
  EXPECT_TRUE(server_->store()->GetEnrolee("ok-2").ok());
  ExpectNoKey(k);
}

TEST_P(AdminCliTest, ImportsJson) {
  const std::string k = "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF";
  Write("e.json", "[{\"kpm_id\":\"j-1\",\"kpm_hex\":\"" + k +
                      "\",\"enrolee_id\":\"C-j-1\",\"maf_id\":\"maf.example.com\"},"
                      "{\"kpm_id\":\"j-2\",\"kpm_hex\":\"" +
                      k +
                      "\",\"enrolee_id\":\"C-j-2\",\"maf_id\":\"maf.example.com\","
                      "\"lifetime_seconds\":600}]");
  CliResult r = Run({"import", "--file=" + Path("e.json")});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 stored, 0 rejected"), std::string::npos) << r.out;
  EXPECT_TRUE(server_->store()->GetEnrolee("j-2").ok());
  ExpectNoKey(k);
}

TEST_P(AdminCliTest, ImportStoppedByStoreFailureSaysWhichRowsWereStored) {
  mef::MefAdminOptions options;
  options.import_batch_size = 100;
  Start(options, [](mef::EnroleeStore* real) {
    return std::make_unique<mef::testing::FailingStore>(real, /*fail_from=*/4);
  });
  ASSERT_EQ(
      Run({"import", "gen", "--count=1000", "--out=" + Path("f.csv"), "--maf-id=maf.example.com"})
          .code,
      0);
  CliResult r = Run({"import", "--file=" + Path("f.csv")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("300 stored"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("IMPORT INCOMPLETE: UNAVAILABLE"), std::string::npos) << r.out;
  // Row references are CSV lines: data row 301 is line 302.
  EXPECT_NE(r.out.find("The server stored exactly the 300 rows counted above. Rows from row 302 "
                       "on were NOT stored."),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Re-running the same file is safe"), std::string::npos);
}

TEST_P(AdminCliTest, EnroleeCommandsRoundTrip) {
  const std::string k = "0F1E2D3C4B5A69788796A5B4C3D2E1F0";
  CliResult c =
      Run({"enrolee", "create", "--kpm-id=dev-a", "--kpm-hex=" + k, "--enrolee-id=C-dev-a",
           "--maf-id=maf.example.com", "--maf-uri=https://maf.example.com", "--lifetime=2h"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("kpm_id:      dev-a"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("lifetime:    2h"), std::string::npos) << c.out;
  for (const char* id : {"dev-b", "dev-c", "dev-d", "dev-e"}) {
    ASSERT_EQ(Run({"enrolee", "create", std::string("--kpm-id=") + id, "--kpm-hex=" + k,
                   std::string("--enrolee-id=C-") + id, "--maf-id=maf.example.com"})
                  .code,
              0);
  }
  EXPECT_EQ(Run({"enrolee", "create", "--kpm-id=dev-a", "--kpm-hex=" + k, "--enrolee-id=C",
                 "--maf-id=maf.example.com"})
                .code,
            1);  // ALREADY_EXISTS
  CliResult g = Run({"enrolee", "get", "--kpm-id=dev-a"});
  ASSERT_EQ(g.code, 0);
  EXPECT_NE(g.out.find("state:       active"), std::string::npos);

  CliResult l = Run({"enrolee", "list", "--page-size=2"});
  ASSERT_EQ(l.code, 0) << l.err;
  EXPECT_NE(l.err.find("5 enrolees"), std::string::npos) << l.err;
  EXPECT_NE(l.out.find("dev-e\tactive"), std::string::npos);

  ASSERT_EQ(Run({"enrolee", "disable", "--kpm-id=dev-b", "--reason=lost"}).code, 0);
  CliResult ld = Run({"enrolee", "list", "--state=disabled"});
  EXPECT_NE(ld.err.find("1 enrolees"), std::string::npos);
  ASSERT_EQ(Run({"enrolee", "enable", "--kpm-id=dev-b"}).code, 0);

  Write("new.key", std::string(32, '\x5A'));
  CliResult rot = Run({"enrolee", "rotate-kpm", "--kpm-id=dev-c", "--kpm-file=" + Path("new.key")});
  ASSERT_EQ(rot.code, 0) << rot.err;
  absl::StatusOr<mef::Enrolee> stored = server_->store()->GetEnrolee("dev-c");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(server_->envelope().Open(stored->kpm.ciphertext, "dev-c")->Reveal(),
            std::string(32, '\x5A'));

  CliResult sg = Run(
      {"enrolee", "set-grants", "--kpm-id=dev-c", "--grants=cse.example.com/42 ae.example.com/7"});
  ASSERT_EQ(sg.code, 0) << sg.err;
  EXPECT_NE(sg.out.find("fetch_grant: cse.example.com/42"), std::string::npos) << sg.out;
  EXPECT_EQ(server_->store()->GetFetchGrants("dev-c")->size(), 2u);
  EXPECT_NE(Run({"enrolee", "get", "--kpm-id=dev-c"}).out.find("fetch_grant: ae.example.com/7"),
            std::string::npos);
  EXPECT_EQ(Run({"enrolee", "set-grants", "--kpm-id=dev-c", "--grants=nosuid"}).code, 2);
  ASSERT_EQ(Run({"enrolee", "set-grants", "--kpm-id=dev-c"}).code, 0);  // clears them
  EXPECT_TRUE(server_->store()->GetFetchGrants("dev-c")->empty());

  CliResult en = Run({"enrolments", "list", "--kpm-id=dev-c", "--include-invalidated"});
  EXPECT_EQ(en.code, 0) << en.err;
  EXPECT_NE(en.err.find("0 enrolments"), std::string::npos);

  EXPECT_EQ(Run({"enrolee", "revoke", "--kpm-id=dev-d"}).code, 2);  // reason required
  ASSERT_EQ(Run({"enrolee", "revoke", "--kpm-id=dev-d", "--reason=stolen"}).code, 0);
  CliResult d = Run({"enrolee", "delete", "--kpm-id=dev-e", "--reason=scrap"});
  ASSERT_EQ(d.code, 0);
  EXPECT_NE(d.out.find("deleted dev-e and 0 enrolments"), std::string::npos);
  CliResult missing = Run({"enrolee", "get", "--kpm-id=dev-e"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("NOT_FOUND"), std::string::npos);
  ExpectNoKey(k);
  ExpectNoKey(crypto::HexUpper(std::string(32, '\x5A')));
}

TEST_P(AdminCliTest, StdinFilesAndJsonOutput) {
  const std::string k = "B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF";
  CliResult csv = Run({"import", "--file=-"},
                      "kpm_id,kpm_hex,enrolee_id,maf_id\ns-1," + k + ",C-s-1,maf.example.com\n");
  ASSERT_EQ(csv.code, 0) << csv.out << csv.err;
  EXPECT_NE(csv.out.find("1 stored, 0 rejected"), std::string::npos) << csv.out;
  CliResult json = Run({"import", "--file=-"},
                       "  [{\"kpm_id\":\"s-2\",\"kpm_hex\":\"" + k +
                           "\",\"enrolee_id\":\"C-s-2\",\"maf_id\":\"maf.example.com\"}]");
  ASSERT_EQ(json.code, 0) << json.out << json.err;
  ASSERT_TRUE(server_->store()->GetEnrolee("s-2").ok());
  CliResult kpm =
      Run({"enrolee", "rotate-kpm", "--kpm-id=s-1", "--kpm-file=-"}, std::string(32, '\x3C'));
  ASSERT_EQ(kpm.code, 0) << kpm.err;
  absl::StatusOr<mef::Enrolee> stored = server_->store()->GetEnrolee("s-1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(server_->envelope().Open(stored->kpm.ciphertext, "s-1")->Reveal(),
            std::string(32, '\x3C'));

  CliResult list = Run({"enrolee", "list", "--page-size=1", "--output=json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out.rfind("{\"enrolees\":[", 0), 0u) << list.out;
  EXPECT_NE(list.out.find("\"kpm_id\":\"s-2\""), std::string::npos) << list.out;
  CliResult page =
      Run({"enrolee", "list", "--page-size=1", "--page-token", ""});  // first page only
  EXPECT_EQ(page.code, 0) << page.err;
  EXPECT_NE(page.err.find("next_page_token: "), std::string::npos) << page.err;
  CliResult get = Run({"enrolee", "get", "--kpm-id=s-1", "--output=json"});
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_NE(get.out.find("\"state\":\"ENROLEE_STATE_ACTIVE\""), std::string::npos) << get.out;
  EXPECT_EQ(Run({"enrolee", "get", "--kpm-id=s-1", "--output=xml"}).code, 2);
  EXPECT_EQ(Run({"enrolee", "create", "--help"}).code, 0);
  ExpectNoKey(k);
  ExpectNoKey(crypto::HexUpper(std::string(32, '\x3C')));
}

TEST_P(AdminCliTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Run({"enrolee", "frobnicate"}).code, 2);
  EXPECT_EQ(Run({"enrolee", "get", "--kpm-idd=x"}).code, 2);
  EXPECT_EQ(Run({"enrolee", "create", "--kpm-id=x", "--enrolee-id=C", "--maf-id=m"}).code, 2);
  CliResult nofile = Run({"import"});
  EXPECT_EQ(nofile.code, 2);
  CliResult missing = Run({"import", "--file=" + Path("absent.csv")});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("nothing was sent"), std::string::npos);
}

TEST_P(AdminCliTest, NonAdminCertificateIsRefused) {
  files_ = server_->ClientFiles("someone.example.com");
  CliResult r = Run({"enrolee", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("PERMISSION_DENIED"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Stores, AdminCliTest, ::testing::Values("memory", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace admin
}  // namespace onem2m
