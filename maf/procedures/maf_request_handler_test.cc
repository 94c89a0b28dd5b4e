#include "maf/procedures/maf_request_handler.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/escaping.h"
#include "common/crypto/key_id.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/log/logger.h"
#include "common/testing/status_matchers.h"
#include "maf/procedures/procedure_test_fixture.h"
#include "maf/store/forwarding_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;

using exchange::Method;
using exchange::Request;
using exchange::Response;

class MafRequestHandlerTest : public ProcedureTest {
 protected:
  Response Post(const std::string& path, const std::string& body, const MafSession& s,
                Method method = Method::kPost) {
    Request r;
    r.method = method;
    r.path = path;
    r.request_id = "rq-1";
    r.content_type = "application/json";
    r.body = body;
    return handler_.Handle(r, s);
  }
  // A Client Registration request (labels optional), for HandleAsync.
  static Request Registration(absl::Time expiry,
                              std::optional<exchange::Labels> labels = std::nullopt) {
    Request r;
    r.method = Method::kPost;
    r.path = "/maf/clients";
    r.request_id = "rq-async";
    r.content_type = "application/json";
    r.body = *exchange::SerializeClientRegistrationRequest({kMaf, expiry, labels, kMaf});
    return r;
  }
  MafRequestHandler handler_{ctx_};
};

TEST_F(MafRequestHandlerTest, RunsTheFullClientAndKeyLifecycle) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string audit_path = std::string(tmp != nullptr ? tmp : "/tmp") + "/handler_audit.log";
  std::remove(audit_path.c_str());
  ASSERT_TRUE(SetAuditPath(audit_path));
  MafSession owner = NewSession(1, "C-dev1");
  MafSession target = NewSession(2, "C-target");
  const absl::Time later = Now() + absl::Hours(100);
  // 8.8.2.3 (Table 8.8.2.3-1)
  Response reg = Post(
      "/maf/clients",
      *exchange::SerializeClientRegistrationRequest({kMaf, later, exchange::Labels{"meter"}, kMaf}),
      owner);
  ASSERT_EQ(reg.rsc, 2001) << reg.body.dump();
  absl::StatusOr<exchange::ClientRegistrationAnswer> client =
      exchange::ParseClientRegistrationAnswer(reg.body);
  ASSERT_THAT(client, IsOk());
  EXPECT_EQ(client->assigned_symm_key_id, owner.km_id.ToString());
  const std::string reg_id = client->maf_client_reg_id;

  // 8.8.2.4 (Table 8.8.2.4-1)
  Response cfg = Post("/maf/clients/config",
                      nlohmann::json{{"mafFQDN", kMaf}, {"mafClientRegID", reg_id}}.dump(), owner);
  ASSERT_EQ(cfg.rsc, 2000) << cfg.body.dump();
  EXPECT_EQ(cfg.body["mafClientCfg"]["fqdn"], kMaf);
  EXPECT_EQ(cfg.body["mafClientCfg"]["labels"], nlohmann::json({"meter"}));

  // 8.8.2.5 (Table 8.8.2.5-1): labels only, so the answer has labels only.
  Response upd = Post(
      "/maf/clients/update",
      nlohmann::json{{"mafFQDN", kMaf}, {"mafClientRegID", reg_id}, {"labels", {"meter", "room:1"}}}
          .dump(),
      owner);
  ASSERT_EQ(upd.rsc, 2004) << upd.body.dump();
  EXPECT_EQ(upd.body, (nlohmann::json{{"labels", {"meter", "room:1"}}}));

  // 8.8.2.7 (Table 8.8.2.7-1)
  exchange::KeyRegistrationRequest kr;
  kr.maf_fqdn = kMaf;
  kr.expiration_time = later;
  kr.admin_fqdn = kMaf;
  kr.target_ids = std::vector<std::string>{"C-target"};
  kr.suid = 33;
  Response key = Post("/maf/keys", *exchange::SerializeKeyRegistrationRequest(kr), owner);
  ASSERT_EQ(key.rsc, 2001) << key.body.dump();
  absl::StatusOr<exchange::KeyRegistrationAnswer> ka =
      exchange::ParseKeyRegistrationAnswer(key.body);
  ASSERT_THAT(ka, IsOk());
  const std::string key_id = exchange::KeyRef{ka->relative_key_id, kMaf}.KeyId();

  // 8.8.2.8 (Table 8.8.2.8-1): RelativeKeyID only.
  Response got = Post("/maf/keys/retrieve",
                      nlohmann::json{{"relativeKeyID", ka->relative_key_id}}.dump(), target);
  ASSERT_EQ(got.rsc, 2000) << got.body.dump();
  absl::StatusOr<exchange::KeyRetrievalAnswer> ra = exchange::ParseKeyRetrievalAnswer(got.body);
  ASSERT_THAT(ra, IsOk());
  EXPECT_EQ(ra->key_value.size(), 32u);
  EXPECT_EQ(ra->source_maf_client_id, "C-dev1");
  EXPECT_EQ(ra->suid, 33);
  {
    // Every procedure is audited with the identifiers, never the key.
    std::ifstream in(audit_path);
    std::stringstream audit;
    audit << in.rdbuf();
    EXPECT_NE(audit.str().find("key_retrieval"), std::string::npos);
    EXPECT_NE(audit.str().find("client_config_retrieval"), std::string::npos);
    EXPECT_NE(audit.str().find(key_id), std::string::npos);
    EXPECT_EQ(audit.str().find(absl::Base64Escape(ra->key_value.Reveal())), std::string::npos);
    EXPECT_EQ(audit.str().find(crypto::HexUpper(ra->key_value.Reveal())), std::string::npos);
  }

  // The joined Key Identifier alias; the owner is not a target.
  Response denied = Post("/maf/keys/retrieve", nlohmann::json{{"keyID", key_id}}.dump(), owner);
  EXPECT_EQ(denied.rsc, 4103);

  // 8.8.2.9 (Tables 8.8.2.9-1, -2): the answer carries what the request carried.
  Response ku = Post(
      "/maf/keys/update",
      nlohmann::json{
          {"mafFQDN", kMaf}, {"relativeKeyID", ka->relative_key_id}, {"targetIDs", {"C-other"}}}
          .dump(),
      owner);
  ASSERT_EQ(ku.rsc, 2004) << ku.body.dump();
  EXPECT_EQ(ku.body, (nlohmann::json{{"targetIDs", {"C-other"}}}));

  // 8.8.2.10 (Table 8.8.2.10-1)
  Response del =
      Post("/maf/keys/deregister",
           nlohmann::json{{"mafFQDN", kMaf}, {"relativeKeyID", ka->relative_key_id}}.dump(), owner);
  EXPECT_EQ(del.rsc, 2002) << del.body.dump();
  EXPECT_TRUE(del.body.is_null());

  // 8.8.2.6 (Table 8.8.2.6-1)
  Response cd = Post("/maf/clients/deregister",
                     nlohmann::json{{"mafFQDN", kMaf}, {"mafClientRegID", reg_id}}.dump(), owner);
  EXPECT_EQ(cd.rsc, 2002) << cd.body.dump();
  EXPECT_EQ(Post("/maf/clients/config",
                 nlohmann::json{{"mafFQDN", kMaf}, {"mafClientRegID", reg_id}}.dump(), owner)
                .rsc,
            4103);
}

TEST_F(MafRequestHandlerTest, CombinedDeregistrationAliasStillWorks) {
  MafSession owner = NewSession(1, "C-dev1");
  ASSERT_EQ(Post("/maf/clients",
                 *exchange::SerializeClientRegistrationRequest(
                     {kMaf, Now() + absl::Hours(1), std::nullopt, kMaf}),
                 owner)
                .rsc,
            2001);
  exchange::KeyRegistrationRequest kr;
  kr.maf_fqdn = kMaf;
  kr.expiration_time = Now() + absl::Hours(1);
  kr.admin_fqdn = kMaf;
  kr.suid = 32;
  Response key = Post("/maf/keys", *exchange::SerializeKeyRegistrationRequest(kr), owner);
  ASSERT_EQ(key.rsc, 2001) << key.body.dump();
  const std::string key_id = std::string(key.body["relativeKeyID"].get<std::string>()) + "@" + kMaf;
  exchange::DeregistrationRequest d;
  d.key_id = key_id;
  EXPECT_EQ(Post("/maf/deregistration", *exchange::SerializeDeregistrationRequest(d), owner).rsc,
            2002);
  d.key_id.reset();
  d.maf_client_reg_id = store_->GetActiveClientByKmId(owner.km_id)->maf_client_reg_id;
  EXPECT_EQ(Post("/maf/deregistration", *exchange::SerializeDeregistrationRequest(d), owner).rsc,
            2002);
}

TEST_F(MafRequestHandlerTest, MapsRoutingAndParsingErrors) {
  MafSession s = NewSession(1, "C-dev1");
  EXPECT_EQ(Post("/maf/nowhere", "{}", s).rsc, 4004);
  EXPECT_EQ(Post("/enrolment", "{\"enrolment\":{\"type\":\"maf\"}}", s).rsc, 4004);
  EXPECT_EQ(Post("/maf/clients", "{}", s, Method::kGet).rsc, 4005);
  EXPECT_EQ(Post("/maf/keys", "{not json", s).rsc, 4000);
  EXPECT_EQ(Post("/maf/keys", "{\"targetIDs\":[\"T\"],\"suid\":42,\"extra\":1}", s).rsc, 4000);
  // The earlier empty registration request lacks the Table 8.8.2.3-1 mandatory parameters.
  Response empty = Post("/maf/clients", "{}", s);
  EXPECT_EQ(empty.rsc, 4000);
  EXPECT_NE(empty.body.dump().find("mafFQDN"), std::string::npos) << empty.body.dump();
}

TEST_F(MafRequestHandlerTest, RevokedSessionIsRefused) {
  MafSession s = NewSession(1, "C-dev1");
  ASSERT_THAT(store_->RevokeByEnroleeId("C-dev1", Revocation{"mef", "x", {}}), IsOk());
  Response r = Post("/maf/clients",
                    *exchange::SerializeClientRegistrationRequest(
                        {kMaf, Now() + absl::Hours(1), std::nullopt, kMaf}),
                    s);
  EXPECT_EQ(r.rsc, 4103);
}

TEST_F(MafRequestHandlerTest, HandleAsyncAnswersARegistrationAsHandleDoes) {
  MafSession s = NewSession(1, "C-dev1");
  std::optional<Response> async;
  ASSERT_TRUE(handler_.HandleAsync(Registration(Now() + absl::Hours(2)), s,
                                   [&](Response r) { async = std::move(r); }));
  ASSERT_TRUE(async.has_value());  // the memory store answers at once
  ASSERT_EQ(async->rsc, 2001) << async->body.dump();
  absl::StatusOr<exchange::ClientRegistrationAnswer> a =
      exchange::ParseClientRegistrationAnswer(async->body);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->assigned_symm_key_id, s.km_id.ToString());
  EXPECT_EQ(a->maf_client_id, "C-dev1");
  // Handle, asked the same again, finds the same registration (idempotent per Km).
  Response sync = handler_.Handle(Registration(Now() + absl::Hours(2)), s);
  EXPECT_EQ(sync.rsc, 2001);
  EXPECT_EQ(sync.body, async->body);
}

TEST_F(MafRequestHandlerTest, HandleAsyncRefusesABadOrRevokedRegistration) {
  MafSession s = NewSession(1, "C-dev1");
  std::optional<Response> bad;
  Request empty = Registration(Now() + absl::Hours(1));
  empty.body = "{}";
  ASSERT_TRUE(handler_.HandleAsync(empty, s, [&](Response r) { bad = std::move(r); }));
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->rsc, 4000);
  std::optional<Response> past;
  ASSERT_TRUE(handler_.HandleAsync(Registration(Now() - absl::Hours(1)), s,
                                   [&](Response r) { past = std::move(r); }));
  ASSERT_TRUE(past.has_value());
  EXPECT_EQ(past->rsc, 4000);
  ASSERT_THAT(store_->RevokeByEnroleeId("C-dev1", Revocation{"mef", "x", {}}), IsOk());
  std::optional<Response> revoked;
  ASSERT_TRUE(handler_.HandleAsync(Registration(Now() + absl::Hours(1)), s,
                                   [&](Response r) { revoked = std::move(r); }));
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->rsc, 4103);
}

TEST_F(MafRequestHandlerTest, HandleAsyncLeavesEveryOtherRequestToHandle) {
  MafSession s = NewSession(1, "C-dev1");
  bool called = false;
  auto respond = [&](Response) { called = true; };
  // Labels need UpdateClient after the write.
  EXPECT_FALSE(handler_.HandleAsync(
      Registration(Now() + absl::Hours(1), exchange::Labels{"meter"}), s, respond));
  Request config = Registration(Now() + absl::Hours(1));
  config.path = "/maf/clients/config";
  EXPECT_FALSE(handler_.HandleAsync(config, s, respond));
  Request nowhere = Registration(Now() + absl::Hours(1));
  nowhere.path = "/maf/nowhere";
  EXPECT_FALSE(handler_.HandleAsync(nowhere, s, respond));
  EXPECT_FALSE(called);
  EXPECT_THAT(store_->GetActiveClientByKmId(s.km_id), ::onem2m::testing::StatusIs(
                                                          absl::StatusCode::kNotFound));

  // A store that would make the caller wait (the interface's default) gets nothing asynchronous.
  ForwardingMafStore waiting(MemoryMafStore::Create(&clock_));
  ProcedureContext ctx = ctx_;
  ctx.store = &waiting;
  EXPECT_FALSE(MafRequestHandler(ctx).HandleAsync(Registration(Now() + absl::Hours(1)), s, respond));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
