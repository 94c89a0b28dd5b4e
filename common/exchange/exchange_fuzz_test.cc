// Feeds thousands of random and mutated JSON bodies to every schema parser and checks that nothing
// crashes or throws. Deterministic seed.
#include <random>
#include <string>
#include <vector>

#include "common/exchange/enrolment_messages.h"
#include "common/exchange/maf_messages.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

TEST(ExchangeFuzzTest, RandomAndMutatedBodiesNeverCrash) {
  const std::vector<std::string> seeds = {
      R"({"enrolment":{"type":"maf","enroleeId":"C-dev"}})",
      R"({"targetIDs":["t1","t2"],"suid":42,"expirationTime":"20270101T000000","keyValue":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="})",
      R"({"keyID":"AB@maf","targetIDs":["t"],"expirationTime":"20270101T000000"})",
      R"({"mafClientRegID":"r"})",
      R"({"certificateEnrolmentIndication":false,"mafEnrolmentIndication":true,"remoteManagementIndication":false})",
      R"({"instructionType":"mafEnrolment","status":true})",
      R"({"instructionType":"mafEnrolment","credentialType":"symmetric","mafKeyRegistrationUri":"https://m/maf/keys","mafKeyRetrievalUri":"https://m/maf/keys/retrieve","trustAnchors":["pem"],"lifetime":"20270101T000000Z","enroleeId":"C","mafId":"m","keId":"k@mef"})",
      R"({"instructionType":"remoteManagement","uri":"coaps://dm"})",
  };
  const std::string alphabet = std::string("{}[]\":,0123456789.eE-+tfnul\\ abcTZ=/") + "\xff\x80";
  std::mt19937 rng(8823);
  for (int i = 0; i < 4000; ++i) {
    std::string body;
    if (i % 4 == 0) {
      body.resize(rng() % 128);
      for (char& c : body) c = alphabet[rng() % alphabet.size()];
    } else {
      body = seeds[rng() % seeds.size()];
      const int rounds = 1 + rng() % 4;
      for (int r = 0; r < rounds && !body.empty(); ++r) {
        const size_t pos = rng() % body.size();
        switch (rng() % 3) {
          case 0:
            body[pos] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            body.insert(pos, 1, alphabet[rng() % alphabet.size()]);
            break;
          default:
            body.erase(pos, 1);
            break;
        }
      }
    }
    (void)ParseEnrolmentRequest(body);
    (void)ParseEnrolmentMessage(body);
    (void)ParseEnrolmentResult(body);
    (void)ParseClientRegistrationRequest(body);
    (void)ParseKeyRegistrationRequest(body);
    (void)ParseKeyRetrievalRequest(body);
    (void)ParseKeyUpdateRequest(body);
    (void)ParseDeregistrationRequest(body);
    nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    (void)ParseEnrolmentAnswer(j);
    (void)ParseUriInstruction(j);
    (void)CheckEndOfExchangeAnswer(j);
    (void)ParseClientRegistrationAnswer(j);
    (void)ParseKeyRegistrationAnswer(j);
    (void)ParseKeyRetrievalAnswer(j);
  }
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m
