// SpecFetchHandler over a real CredentialFetcher, MemoryEnroleeStore and envelope (no TLS here:
// mtls_http_server_test covers the transport, tests/e2e the whole MEF with curl).
#include "mef/spec_fetch/spec_fetch_handler.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/log/logger.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "mef/credential/envelope_ke_opener.h"
#include "mef/store/memory_enrolee_store.h"
#include "nlohmann/json.hpp"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::StatusIs;

constexpr char kMef[] = "mef.example.com";
constexpr char kMaf[] = "maf.example.com";
constexpr char kCse[] = "cse.example.com";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SpecFetchHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    audit_path_ =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/spec-fetch-audit-",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".log");
    std::remove(audit_path_.c_str());
    ASSERT_TRUE(SetAuditPath(audit_path_));
    Enrolee e;
    e.kpm_id = "dev-1";
    e.kpm = SealedKey{"sealed-kpm-not-used-here", 1};
    e.enrolee_id = "C-dev-1";
    e.maf_id = kMaf;
    e.fetch_grants = {{kCse, 42}};
    ASSERT_TRUE(store_.CreateEnrolee(e).ok());
    ke_id_ = *crypto::FormatKeyId(SecretBytes::Random(16).Reveal(), kMef);
    Enrolment m;
    m.ke_id = *crypto::KeyId::Parse(ke_id_);
    m.kpm_id = "dev-1";
    m.ke =
        SealedKey{*envelope_.Seal(ke_, ke_id_), static_cast<int32_t>(envelope_.active_version())};
    m.enrolee_id = "C-dev-1";
    m.maf_id = kMaf;
    m.expires_at = absl::FromUnixSeconds(2000000000);  // 2033-05-18T03:33:20Z
    ASSERT_TRUE(store_.RecordEnrolment(m).ok());
  }
  void TearDown() override { SetAuditPath("-"); }

  http::HttpResponse Get(const std::string& path, const std::string& origin,
                         const std::vector<std::string>& names, const std::string& method = "GET") {
    http::HttpRequest r;
    r.method = method;
    r.target = path;
    if (!origin.empty()) r.headers.push_back({"X-M2M-Origin", origin});
    r.headers.push_back({"X-M2M-RI", "req-7"});
    r.headers.push_back({"X-M2M-RVI", "3"});
    return handler_.Handle(r, names);
  }
  static std::string Rsc(const http::HttpResponse& r) {
    const std::string* v = http::FindHeader(r.headers, "X-M2M-RSC");
    return v != nullptr ? *v : "";
  }
  static SecretBytes Credential(const http::HttpResponse& r) {
    nlohmann::json j = nlohmann::json::parse(r.body);
    std::string raw;
    EXPECT_TRUE(absl::Base64Unescape(j.at("credential").get<std::string>(), &raw));
    return SecretBytes::Copy(raw);
  }

  std::string audit_path_;
  MemoryEnroleeStore store_;
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  EnvelopeKeOpener opener_{&envelope_};
  CredentialFetcher fetcher_{&store_, &opener_, {}};
  SpecFetchHandler handler_{&fetcher_};
  SecretBytes ke_ = SecretBytes::Random(32);
  std::string ke_id_;
};

TEST_F(SpecFetchHandlerTest, MafGetsKmForSuid21WithTable5) {
  http::HttpResponse r = Get(absl::StrCat("/fetchCredentials/", ke_id_, "/21"), kMaf, {kMaf});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Rsc(r), "2000");
  EXPECT_EQ(*http::FindHeader(r.headers, "X-M2M-RI"), "req-7");
  EXPECT_EQ(*http::FindHeader(r.headers, "X-M2M-RVI"), "3");
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j.at("status"), true);
  EXPECT_EQ(j.at("enroleeID"), "C-dev-1");
  EXPECT_EQ(j.at("lifetime"), "20330518T033320");
  EXPECT_TRUE(Credential(r).Equals(*crypto::DeriveKm(ke_, kMaf)));
}

TEST_F(SpecFetchHandlerTest, AllowedTargetGetsTheUsageConstrainedKey) {
  http::HttpResponse r = Get(absl::StrCat("/fetchCredentials/", ke_id_, "/42"), kCse, {kCse});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Credential(r).Equals(*crypto::DeriveUsageConstrainedKey(ke_, 42, kCse)));
  // The audit record names the binding and target, never the key.
  const std::string audit = ReadAll(audit_path_);
  EXPECT_NE(audit.find("\"binding\":\"https\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"target\":\"cse.example.com\""), std::string::npos) << audit;
  EXPECT_EQ(audit.find(nlohmann::json::parse(r.body).at("credential").get<std::string>()),
            std::string::npos);
}

TEST_F(SpecFetchHandlerTest, RefusalsCarryTheirRscAndTable6) {
  const std::string path = absl::StrCat("/fetchCredentials/", ke_id_, "/42");
  struct Case {
    std::string path, origin;
    std::vector<std::string> names;
    std::string method, rsc;
    int http;
  };
  const std::string unknown = *crypto::FormatKeyId(std::string(16, '\x05'), kMef);
  const std::vector<Case> cases = {
      // Originator is not the certificate's identity.
      {path, kMaf, {kCse}, "GET", "4103", 403},
      // Not allowed: another SUID, another target; SUID 21 from a non-MAF.
      {absl::StrCat("/fetchCredentials/", ke_id_, "/43"), kCse, {kCse}, "GET", "4103", 403},
      {path, "other.example.com", {"other.example.com"}, "GET", "4103", 403},
      {absl::StrCat("/fetchCredentials/", ke_id_, "/21"), kCse, {kCse}, "GET", "4103", 403},
      // Unknown KeID: 4004 like gRPC NOT_FOUND.
      {absl::StrCat("/fetchCredentials/", unknown, "/42"), kCse, {kCse}, "GET", "4004", 404},
      // Malformed.
      {absl::StrCat("/fetchCredentials/", ke_id_, "/042"), kCse, {kCse}, "GET", "4000", 400},
      {absl::StrCat("/fetchCredentials/", ke_id_, "/0"), kCse, {kCse}, "GET", "4000", 400},
      {absl::StrCat("/fetchCredentials/", ke_id_, "/4294967296"), kCse, {kCse}, "GET", "4000", 400},
      {absl::StrCat("/fetchCredentials/", ke_id_, "/4x"), kCse, {kCse}, "GET", "4000", 400},
      {absl::StrCat("/fetchCredentials/", ke_id_), kCse, {kCse}, "GET", "4000", 400},
      {"/fetchCredentials/%zz/42", kCse, {kCse}, "GET", "4000", 400},
      {"/fetchCredentials/nonsense/42", kCse, {kCse}, "GET", "4000", 400},
      {path, "", {kCse}, "GET", "4000", 400},
      // Wrong method, unknown path.
      {path, kCse, {kCse}, "POST", "4005", 405},
      {"/elsewhere", kCse, {kCse}, "GET", "4004", 404},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.method, " ", c.path, " origin=", c.origin));
    http::HttpResponse r = Get(c.path, c.origin, c.names, c.method);
    EXPECT_EQ(Rsc(r), c.rsc) << r.body;
    EXPECT_EQ(r.status, c.http);
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j.value("status", true), false);
    EXPECT_FALSE(j.value("errorString", "").empty());
    EXPECT_FALSE(j.contains("credential"));
  }
}

TEST_F(SpecFetchHandlerTest, PercentEncodedKeIdAndAQueryAreAccepted) {
  std::string encoded = ke_id_;
  encoded.replace(encoded.find('@'), 1, "%40");
  http::HttpResponse r =
      Get(absl::StrCat("/fetchCredentials/", encoded, "/42?rcn=1"), kCse, {kCse});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SpecFetchHandlerTest, MissingRequestIdentifierIsBadRequestWithoutEcho) {
  http::HttpRequest r;
  r.method = "GET";
  r.target = absl::StrCat("/fetchCredentials/", ke_id_, "/42");
  r.headers.push_back({"X-M2M-Origin", kCse});
  r.headers.push_back({"X-M2M-RVI", "3"});
  http::HttpResponse out = handler_.Handle(r, {kCse});
  EXPECT_EQ(Rsc(out), "4000");
  EXPECT_EQ(http::FindHeader(out.headers, "X-M2M-RI"), nullptr);
  // An unprintable RI is not echoed (it could split the answer's headers).
  r.headers.push_back({"X-M2M-RI", "a\r\nX-Evil: 1"});
  out = handler_.Handle(r, {kCse});
  EXPECT_EQ(Rsc(out), "4000");
  EXPECT_EQ(http::FindHeader(out.headers, "X-M2M-RI"), nullptr);
}

TEST_F(SpecFetchHandlerTest, RevokedEnroleeIsNotFound) {
  ASSERT_TRUE(store_.SetState("dev-1", EnroleeState::kRevoked).ok());
  http::HttpResponse r = Get(absl::StrCat("/fetchCredentials/", ke_id_, "/42"), kCse, {kCse});
  EXPECT_EQ(Rsc(r), "4004");
  EXPECT_EQ(nlohmann::json::parse(r.body).at("errorString"), std::string(kNotFoundMessage));
}

TEST(ParseFetchTargetTest, SplitsKeIdAndSuid) {
  absl::StatusOr<FetchTarget> t =
      ParseFetchTarget("/fetchCredentials/AB@mef.example.com/4294967295");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ke_id, "AB@mef.example.com");
  EXPECT_EQ(t->suid, 4294967295u);
  EXPECT_THAT(ParseFetchTarget("/other/x/1"), StatusIs(absl::StatusCode::kNotFound));
  for (const char* bad : {"/fetchCredentials/", "/fetchCredentials//21", "/fetchCredentials/a/",
                          "/fetchCredentials/a/21/x", "/fetchCredentials/a%4/21",
                          "/fetchCredentials/a/-1", "/fetchCredentials/a/+1"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseFetchTarget(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace mef
}  // namespace onem2m
