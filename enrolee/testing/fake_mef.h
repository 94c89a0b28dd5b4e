// File: enrolee/testing/fake_mef.h
//
// A fake MEF for the Enrolee's bootstrap tests: FakeMefFactory is a PskServer session factory that
// derives the KeID as the MEF would (docs/protocol.md 3), records every request and answers as its
// `answer` function says; GoodAnswer is a valid Table 8.3.2.1-3 answer for a KeID. The device's
// identity (kKpmId, Kpm(), kMefFqdn) is the one the tests' PSK resolvers know.
//
//   FakeMefFactory factory;
//   factory.answer = [](const std::string& ke_id, const exchange::Request&) {
//     return GoodAnswer(ke_id);
//   };
//   auto server = server::PskServer::Start(options, &factory, nullptr);
#ifndef ONEM2M_ENROLEE_TESTING_FAKE_MEF_H_
#define ONEM2M_ENROLEE_TESTING_FAKE_MEF_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/crypto/key_derivation.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/message.h"
#include "common/exchange/rsc.h"
#include "common/psk_server/exchange_session.h"
#include "common/psk_server/psk_server.h"
#include "common/secret_bytes.h"
#include "gtest/gtest.h"

namespace onem2m::enrolee {

inline constexpr char kMefFqdn[] = "mef.example.com";
inline constexpr char kKpmId[] = "device-0001";

inline const SecretBytes& Kpm() {
  static const SecretBytes* k =
      new SecretBytes(SecretBytes::Copy("kpm-0123456789abcdef-0123456789ab"));
  return *k;
}

// AnswerFn decides the fake MEF's answer from the KeID it derived and the request.
using AnswerFn =
    std::function<exchange::Response(const std::string& ke_id, const exchange::Request& request)>;

class FakeMefSession : public server::ExchangeSession {
 public:
  FakeMefSession(std::string ke_id, AnswerFn* answer, std::vector<exchange::Request>* seen,
                 absl::Mutex* mu)
      : ke_id_(std::move(ke_id)), answer_(answer), seen_(seen), mu_(mu) {}
  void OnRequest(exchange::Request request,
                 std::function<void(exchange::Response)> respond) override {
    exchange::Response r;
    {
      absl::MutexLock l(mu_);
      seen_->push_back(request);
      r = (*answer_)(ke_id_, request);
    }
    respond(std::move(r));
  }

 private:
  std::string ke_id_;
  AnswerFn* answer_;
  std::vector<exchange::Request>* seen_;
  absl::Mutex* mu_;
};

class FakeMefFactory : public server::SessionHandlerFactory {
 public:
  absl::StatusOr<std::unique_ptr<server::SessionHandler>> OnHandshake(
      tls::PskSession& session, const server::ConnectionInfo&) override {
    auto exported = session.Export(crypto::kBootstrapExporterLabel, crypto::kExportLen);
    if (!exported.ok()) return exported.status();
    auto ke = crypto::KeyFromExport(*exported, kMefFqdn);
    if (!ke.ok()) return ke.status();
    return std::make_unique<FakeMefSession>(ke->key_id, &answer, &seen, &mu);
  }
  std::vector<exchange::Request> Seen() {
    absl::MutexLock l(&mu);
    return seen;
  }

  absl::Mutex mu;
  AnswerFn answer;
  std::vector<exchange::Request> seen;
};

inline exchange::Response GoodAnswer(const std::string& ke_id) {
  exchange::EnrolmentAnswer a;
  a.enrolee_id = "C-device-0001";
  a.maf_id = "maf.example.com";
  a.maf_uri = "https://maf.example.com";
  a.ke_id = ke_id;
  a.expiration_time = absl::FromUnixSeconds(1900000000);
  auto json = exchange::SerializeEnrolmentAnswer(a);
  EXPECT_TRUE(json.ok());
  return exchange::Response{exchange::kRscCreated, *json};
}

}  // namespace onem2m::enrolee

#endif  // ONEM2M_ENROLEE_TESTING_FAKE_MEF_H_
