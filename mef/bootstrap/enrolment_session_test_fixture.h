// File: mef/bootstrap/enrolment_session_test_fixture.h
//
// EnrolmentSessionTest: the MEF's bootstrap (docs/protocol.md 2-4) in one process, parameterised
// by transport: a real PskServer on 127.0.0.1:0 (TLS and DTLS) with KpmResolver and
// EnrolmentSessionFactory over a memory store whose RecordEnrolmentAsync can be made to fail
// (FakeStore), an observer that records outcomes, and helpers to drive it with the Enrolee library
// (Options) or with raw requests over a tls::BlockingClient (Connect, EnrolmentRequest).
//
//   TEST_P(EnrolmentSessionTest, Something) {
//     StartServer();
//     absl::StatusOr<enrolee::BootstrapResult> r = enrolee::Bootstrap(Options(GetParam()));
//   }
//   INSTANTIATE_TEST_SUITE_P(Transports, EnrolmentSessionTest,
//                            testing::Values(tls::Transport::kTls, tls::Transport::kDtls),
//                            TransportParamName);
#ifndef ONEM2M_MEF_BOOTSTRAP_ENROLMENT_SESSION_TEST_FIXTURE_H_
#define ONEM2M_MEF_BOOTSTRAP_ENROLMENT_SESSION_TEST_FIXTURE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/exchange/message.h"
#include "common/exchange/routes.h"
#include "common/psk_server/psk_server.h"
#include "common/secret_bytes.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/exchange_client.h"
#include "gtest/gtest.h"
#include "mef/bootstrap/enrolment_session.h"
#include "mef/bootstrap/kpm_resolver.h"
#include "mef/store/forwarding_enrolee_store.h"
#include "mef/store/memory_enrolee_store.h"

namespace onem2m::mef {

inline constexpr char kMefFqdn[] = "mef.example.com";
inline constexpr char kKpmId[] = "device-0001";
inline constexpr char kEnroleeId[] = "C-device-0001";
inline constexpr char kMafId[] = "maf.example.com";
inline constexpr char kMafUri[] = "https://maf.example.com:8443";

inline const SecretBytes& Kpm() {
  static const SecretBytes* k =
      new SecretBytes(SecretBytes::Copy("kpm-0123456789abcdef-0123456789ab"));
  return *k;
}

// FakeStore delegates to a MemoryEnroleeStore; RecordEnrolmentAsync can be made to fail with a
// status for the next `record_failures` calls (negative: always), without storing anything.
class FakeStore final : public ForwardingEnroleeStore {
 public:
  FakeStore() : ForwardingEnroleeStore(&inner_) {}
  void FailRecords(absl::Status s, int times = -1) {
    absl::MutexLock l(&mu_);
    record_failure_ = std::move(s);
    record_failures_ = times;
  }
  int record_calls() const { return record_calls_.load(); }
  MemoryEnroleeStore& inner() { return inner_; }

  void RecordEnrolmentAsync(Enrolment e, std::function<void(absl::Status)> done) override {
    ++record_calls_;
    absl::Status fail;
    {
      absl::MutexLock l(&mu_);
      if (!record_failure_.ok() && record_failures_ != 0) {
        fail = record_failure_;
        if (record_failures_ > 0) --record_failures_;
      }
    }
    if (!fail.ok()) {
      done(fail);
      return;
    }
    inner_.RecordEnrolmentAsync(std::move(e), std::move(done));
  }

 private:
  MemoryEnroleeStore inner_;
  std::atomic<int> record_calls_{0};
  absl::Mutex mu_;
  absl::Status record_failure_ ABSL_GUARDED_BY(mu_);
  int record_failures_ ABSL_GUARDED_BY(mu_) = 0;
};

class RecordingObserver : public EnrolmentObserver {
 public:
  void OnEnrolment(absl::string_view outcome, absl::Duration) override {
    absl::MutexLock l(&mu_);
    outcomes_.emplace_back(outcome);
  }
  std::vector<std::string> outcomes() {
    absl::MutexLock l(&mu_);
    return outcomes_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> outcomes_;
};

inline std::string TransportParamName(const testing::TestParamInfo<tls::Transport>& info) {
  return info.param == tls::Transport::kTls ? "Tls" : "Dtls";
}

class EnrolmentSessionTest : public testing::TestWithParam<tls::Transport> {
 protected:
  EnrolmentSessionTest() : envelope_(crypto::Keyring::Generate(3)) {}

  void SetUp() override { AddEnrolee(kKpmId, Kpm(), kEnroleeId, absl::Hours(1), std::nullopt); }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  void AddEnrolee(const std::string& kpm_id, const SecretBytes& kpm, const std::string& enrolee_id,
                  std::optional<absl::Duration> lifetime, std::optional<absl::Time> not_after) {
    Enrolee e;
    e.kpm_id = kpm_id;
    absl::StatusOr<std::string> blob = envelope_.Seal(kpm, kpm_id);
    ASSERT_TRUE(blob.ok()) << blob.status();
    e.kpm = SealedKey{*blob, static_cast<int32_t>(envelope_.active_version())};
    e.enrolee_id = enrolee_id;
    e.maf_id = kMafId;
    e.maf_uri = kMafUri;
    e.enrolment_lifetime = lifetime;
    e.not_after = not_after;
    absl::StatusOr<Enrolee> created = store_.CreateEnrolee(e);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  void StartServer() {
    resolver_ = std::make_shared<KpmResolver>(&store_, &envelope_);
    tls::ServerOptions so;
    so.handshake_timeout = absl::Seconds(5);
    so.transport = tls::Transport::kTls;
    auto tls_ctx = tls::PskContext::NewServer(so, resolver_);
    ASSERT_TRUE(tls_ctx.ok()) << tls_ctx.status();
    so.transport = tls::Transport::kDtls;
    auto dtls_ctx = tls::PskContext::NewServer(so, resolver_);
    ASSERT_TRUE(dtls_ctx.ok()) << dtls_ctx.status();
    EnrolmentConfig config;
    config.mef_fqdn = kMefFqdn;
    config.default_lifetime = absl::Hours(24);
    factory_ = std::make_unique<EnrolmentSessionFactory>(config, &store_, &envelope_, &observer_);
    server::PskServerOptions o;
    o.tls_listen = {"127.0.0.1:0"};
    o.dtls_listen = {"127.0.0.1:0"};
    o.tls_context = *tls_ctx;
    o.dtls_context = *dtls_ctx;
    o.io_threads = 2;
    auto server = server::PskServer::Start(o, factory_.get(), nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  int Port(tls::Transport t) const {
    return t == tls::Transport::kTls ? server_->tls_addresses()[0].port()
                                     : server_->dtls_addresses()[0].port();
  }

  enrolee::BootstrapOptions Options(tls::Transport t) const {
    enrolee::BootstrapOptions o;
    o.mef_host = "127.0.0.1";
    o.mef_port = Port(t);
    o.mef_fqdn = kMefFqdn;
    o.transport = t;
    o.kpm_id = kKpmId;
    o.kpm = Kpm();
    o.attempt_timeout = absl::Seconds(5);
    return o;
  }

  absl::StatusOr<std::unique_ptr<tls::BlockingClient>> Connect(tls::Transport t) {
    tls::ClientOptions co;
    co.transport = t;
    co.psk_identity = kKpmId;
    co.psk = Kpm();
    co.server_name = kMefFqdn;
    auto ctx = tls::PskContext::NewClient(co);
    if (!ctx.ok()) return ctx.status();
    return tls::BlockingClient::Connect(*ctx, "127.0.0.1", Port(t), absl::Now() + absl::Seconds(5));
  }

  // ExpectedKeId derives the KeID from the client's side of the session.
  static std::string ExpectedKeId(tls::BlockingClient& c) {
    auto exported = c.session().Export(crypto::kBootstrapExporterLabel, crypto::kExportLen);
    EXPECT_TRUE(exported.ok());
    auto ke = crypto::KeyFromExport(*exported, kMefFqdn);
    EXPECT_TRUE(ke.ok());
    return ke->key_id;
  }

  static exchange::Request EnrolmentRequest(const std::string& body) {
    exchange::Request r;
    r.method = exchange::Method::kPost;
    r.path = std::string(exchange::PathFor(exchange::Operation::kEnrolment));
    r.originator = kEnroleeId;
    r.request_id = enrolee::NewRequestId();
    r.content_type = std::string(exchange::kJsonMediaType);
    r.body = body;
    return r;
  }

  size_t EnrolmentRows() {
    auto list = store_.ListEnrolments(ListEnrolmentsRequest());
    EXPECT_TRUE(list.ok());
    return list->enrolments.size();
  }

  FakeStore store_;
  crypto::Envelope envelope_;
  RecordingObserver observer_;
  std::shared_ptr<KpmResolver> resolver_;
  std::unique_ptr<EnrolmentSessionFactory> factory_;
  std::unique_ptr<server::PskServer> server_;
};

}  // namespace onem2m::mef

#endif  // ONEM2M_MEF_BOOTSTRAP_ENROLMENT_SESSION_TEST_FIXTURE_H_
