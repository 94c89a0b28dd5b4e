#include "maf/procedures/maf_request_handler.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "common/crypto/key_id.h"
#include "common/exchange/maf_messages.h"
#include "common/log/logger.h"
#include "common/exchange/routes.h"
#include "maf/procedures/procedure_test_fixture.h"

namespace onem2m {
namespace maf {
namespace {

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
  MafRequestHandler handler_{ctx_};
};

TEST_F(MafRequestHandlerTest, RunsTheFullClientAndKeyLifecycle) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string audit_path = std::string(tmp != nullptr ? tmp : "/tmp") + "/handler_audit.log";
  std::remove(audit_path.c_str());
  ASSERT_TRUE(SetAuditPath(audit_path));
  MafSession owner = NewSession(1, "C-dev1");
  MafSession target = NewSession(2, "C-target");
  Response reg = Post("/maf/clients", "{}", owner);
  ASSERT_EQ(reg.rsc, 2001) << reg.body.dump();
  absl::StatusOr<exchange::ClientRegistrationAnswer> client =
      exchange::ParseClientRegistrationAnswer(reg.body);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(client->assigned_symm_key_id, owner.km_id);

  exchange::KeyRegistrationRequest kr;
  kr.target_ids = {"C-target"};
  kr.suid = 42;
  Response key = Post("/maf/keys", *exchange::SerializeKeyRegistrationRequest(kr), owner);
  ASSERT_EQ(key.rsc, 2001) << key.body.dump();
  absl::StatusOr<exchange::KeyRegistrationAnswer> ka = exchange::ParseKeyRegistrationAnswer(key.body);
  ASSERT_TRUE(ka.ok());

  Response got = Post("/maf/keys/retrieve",
                      *exchange::SerializeKeyRetrievalRequest({ka->key_id}), target);
  ASSERT_EQ(got.rsc, 2000) << got.body.dump();
  absl::StatusOr<exchange::KeyRetrievalAnswer> ra = exchange::ParseKeyRetrievalAnswer(got.body);
  ASSERT_TRUE(ra.ok()) << ra.status();
  EXPECT_EQ(ra->key_value.size(), 32u);
  {
    // Every procedure is audited with the identifiers, never the key.
    std::ifstream in(audit_path);
    std::stringstream audit;
    audit << in.rdbuf();
    EXPECT_NE(audit.str().find("key_retrieval"), std::string::npos);
    EXPECT_NE(audit.str().find(ka->key_id), std::string::npos);
    EXPECT_EQ(audit.str().find(absl::Base64Escape(ra->key_value.Reveal())), std::string::npos);
    EXPECT_EQ(audit.str().find(crypto::HexUpper(ra->key_value.Reveal())), std::string::npos);
  }

  Response denied = Post("/maf/keys/retrieve",
                         *exchange::SerializeKeyRetrievalRequest({ka->key_id}), owner);
  EXPECT_EQ(denied.rsc, 4103);

  exchange::KeyUpdateRequest ku;
  ku.key_id = ka->key_id;
  ku.target_ids = std::vector<std::string>{"C-other"};
  EXPECT_EQ(Post("/maf/keys/update", *exchange::SerializeKeyUpdateRequest(ku), owner).rsc, 2004);

  exchange::DeregistrationRequest d;
  d.key_id = ka->key_id;
  Response del = Post("/maf/deregistration", *exchange::SerializeDeregistrationRequest(d), owner);
  EXPECT_EQ(del.rsc, 2002);
  EXPECT_TRUE(del.body.is_null());
}

TEST_F(MafRequestHandlerTest, MapsRoutingAndParsingErrors) {
  MafSession s = NewSession(1, "C-dev1");
  EXPECT_EQ(Post("/maf/nowhere", "{}", s).rsc, 4004);
  EXPECT_EQ(Post("/enrolment", "{\"enrolment\":{\"type\":\"maf\"}}", s).rsc, 4004);
  EXPECT_EQ(Post("/maf/clients", "{}", s, Method::kGet).rsc, 4005);
  EXPECT_EQ(Post("/maf/keys", "{not json", s).rsc, 4000);
  EXPECT_EQ(Post("/maf/keys", "{\"targetIDs\":[\"T\"],\"suid\":42,\"extra\":1}", s).rsc, 4000);
}

TEST_F(MafRequestHandlerTest, RevokedSessionIsRefused) {
  MafSession s = NewSession(1, "C-dev1");
  ASSERT_TRUE(store_->RevokeByEnroleeId("C-dev1", Revocation{"mef", "x", {}}).ok());
  Response r = Post("/maf/clients", "{}", s);
  EXPECT_EQ(r.rsc, 4103);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
