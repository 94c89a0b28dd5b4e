// End-to-end tests of the MEF's bootstrap (docs/protocol.md 2-4) in one process: a real PskServer
// on 127.0.0.1:0 (TLS and DTLS) with KpmResolver and EnrolmentSessionFactory over a memory store,
// driven by the Enrolee library (enrolee/bootstrap_client.h) or by raw requests over a
// tls::BlockingClient.
#include "mef/bootstrap/enrolment_session.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/http_adapter.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/http/response_parser.h"
#include "common/psk_server/psk_server.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/exchange_client.h"
#include "gtest/gtest.h"
#include "mef/bootstrap/kpm_resolver.h"
#include "mef/store/forwarding_enrolee_store.h"
#include "mef/store/memory_enrolee_store.h"

namespace onem2m::mef {
namespace {

constexpr char kMefFqdn[] = "mef.example.com";
constexpr char kKpmId[] = "device-0001";
constexpr char kEnroleeId[] = "C-device-0001";
constexpr char kMafId[] = "maf.example.com";
constexpr char kMafUri[] = "https://maf.example.com:8443";

const SecretBytes& Kpm() {
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

std::string TransportParamName(const testing::TestParamInfo<tls::Transport>& info) {
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

INSTANTIATE_TEST_SUITE_P(Transports, EnrolmentSessionTest,
                         testing::Values(tls::Transport::kTls, tls::Transport::kDtls),
                         TransportParamName);

TEST_P(EnrolmentSessionTest, BootstrapAnswerMatchesClientAndRowHoldsKeSealedUnderKeId) {
  StartServer();
  absl::Time before = absl::Now();
  absl::StatusOr<enrolee::BootstrapResult> r = enrolee::Bootstrap(Options(GetParam()));
  ASSERT_TRUE(r.ok()) << r.status();
  // Bootstrap itself refuses an answer whose KeID differs from its own; check the shape anyway.
  EXPECT_TRUE(absl::EndsWith(r->ke_id, absl::StrCat("@", kMefFqdn))) << r->ke_id;
  EXPECT_EQ(r->ke_id.size(), 32 + 1 + std::string(kMefFqdn).size());
  EXPECT_EQ(r->ke.size(), crypto::kDerivedKeyLen);
  EXPECT_EQ(r->enrolee_id, kEnroleeId);
  EXPECT_EQ(r->maf_id, kMafId);
  ASSERT_TRUE(r->maf_uri.has_value());
  EXPECT_EQ(*r->maf_uri, kMafUri);
  EXPECT_FALSE(r->cipher.empty());
  EXPECT_EQ(r->attempts, 1);
  // Lifetime 1 h from the enrolee row, whole seconds.
  EXPECT_GE(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(before + absl::Hours(1))));
  EXPECT_LE(r->expires_at, absl::Now() + absl::Hours(1));
  EXPECT_EQ(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(r->expires_at)));

  // The row was durable before the answer: it is there now, with Ke sealed under AAD = KeID.
  absl::StatusOr<EnrolmentView> view = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id));
  ASSERT_TRUE(view.ok()) << view.status();
  const Enrolment& row = view->enrolment;
  EXPECT_EQ(row.kpm_id, kKpmId);
  EXPECT_EQ(row.enrolee_id, kEnroleeId);
  EXPECT_EQ(row.maf_id, kMafId);
  EXPECT_EQ(row.expires_at, r->expires_at);
  EXPECT_EQ(row.transport, GetParam() == tls::Transport::kTls ? Transport::kTls : Transport::kDtls);
  EXPECT_TRUE(absl::StartsWith(row.peer_address, "127.0.0.1:")) << row.peer_address;
  EXPECT_EQ(row.ke.kek_version, 3);
  absl::StatusOr<SecretBytes> ke = envelope_.Open(row.ke.ciphertext, r->ke_id);
  ASSERT_TRUE(ke.ok()) << ke.status();
  EXPECT_TRUE(ke->Equals(r->ke));
  EXPECT_FALSE(envelope_.Open(row.ke.ciphertext, kKpmId).ok());  // bound to the KeID only
  EXPECT_EQ(row.ke.ciphertext.find(std::string(r->ke.Reveal())), std::string::npos);
  EXPECT_EQ(EnrolmentRows(), 1u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"ok"});
}

TEST_P(EnrolmentSessionTest, EveryBootstrapYieldsAFreshKe) {
  StartServer();
  auto a = enrolee::Bootstrap(Options(GetParam()));
  auto b = enrolee::Bootstrap(Options(GetParam()));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->ke_id, b->ke_id);
  EXPECT_FALSE(a->ke.Equals(b->ke));
  EXPECT_EQ(EnrolmentRows(), 2u);
}

TEST_P(EnrolmentSessionTest, MatchingEnroleeIdIsAccepted) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.enrolee_id = kEnroleeId;
  auto r = enrolee::Bootstrap(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->enrolee_id, kEnroleeId);
}

TEST_P(EnrolmentSessionTest, EnroleeIdMismatchGets4103AndStoresNothing) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.enrolee_id = "C-someone-else";
  auto r = enrolee::Bootstrap(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "4103")) << r.status();
  EXPECT_FALSE(enrolee::IsRetryable(r.status()));
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(store_.record_calls(), 0);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"denied"});
}

TEST_P(EnrolmentSessionTest, CertificateEnrolmentGets5001) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"certificate"}})"), kMefFqdn,
      absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotImplemented);
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"not_supported"});
}

TEST_P(EnrolmentSessionTest, RemoteManagementEnrolmentGets5001) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"remoteManagement"}})"), kMefFqdn,
      absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotImplemented);
  EXPECT_EQ(EnrolmentRows(), 0u);
}

TEST_P(EnrolmentSessionTest, StoreUnavailableAnswers5103AndBootstrapIsRetryable) {
  StartServer();
  store_.FailRecords(absl::UnavailableError("connection to server lost"));
  auto r = enrolee::Bootstrap(Options(GetParam()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "5103")) << r.status();
  EXPECT_TRUE(enrolee::IsRetryable(r.status()));
  EXPECT_EQ(store_.record_calls(), 1);
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"store_unavailable"});
}

TEST_P(EnrolmentSessionTest, RetryAfterStoreRecoversSucceedsWithInjectedSleeps) {
  StartServer();
  store_.FailRecords(absl::UnavailableError("down"), /*times=*/2);
  enrolee::RetryPolicy policy;
  policy.max_attempts = 5;
  policy.initial_backoff = absl::Seconds(1);
  policy.max_backoff = absl::Seconds(30);
  std::vector<absl::Duration> sleeps;
  policy.sleep = [&sleeps](absl::Duration d) { sleeps.push_back(d); };
  absl::Time start = absl::Now();
  auto r = enrolee::BootstrapWithRetry(Options(GetParam()), policy);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attempts, 3);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LE(sleeps[0], absl::Seconds(1));
  EXPECT_LE(sleeps[1], absl::Seconds(2));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // nothing actually slept
  EXPECT_EQ(store_.record_calls(), 3);
  EXPECT_EQ(EnrolmentRows(), 1u);
  EXPECT_TRUE(store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id)).ok());
}

// Over DTLS the server drops the undecryptable Finished silently (RFC 6347 4.1.2.1); the client
// reports the unanswered Finished as a refused key, so both transports give kUnauthenticated.
TEST_P(EnrolmentSessionTest, WrongKpmIsRefusedAndNothingIsStored) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.attempt_timeout = absl::Seconds(3);
  o.kpm = SecretBytes::Copy("wrong-0123456789abcdef-0123456789");
  auto r = enrolee::Bootstrap(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  EXPECT_EQ(EnrolmentRows(), 0u);
}

TEST_P(EnrolmentSessionTest, DisabledEnroleeFailsHandshakeLikeWrongKey) {
  StartServer();
  ASSERT_TRUE(store_.SetState(kKpmId, EnroleeState::kDisabled).ok());
  enrolee::BootstrapOptions options = Options(GetParam());
  options.attempt_timeout = absl::Seconds(3);
  auto disabled = enrolee::Bootstrap(options);
  enrolee::BootstrapOptions unknown = options;
  unknown.kpm_id = "device-unknown";
  auto nobody = enrolee::Bootstrap(unknown);
  ASSERT_FALSE(disabled.ok());
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(disabled.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(nobody.status().code(), disabled.status().code());
  EXPECT_EQ(EnrolmentRows(), 0u);
}

TEST_P(EnrolmentSessionTest, RepeatedRequestOnSameSessionGetsSameAnswerAndOneRow) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  std::string ke_id = ExpectedKeId(**c);
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto first = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->rsc, exchange::kRscCreated) << first->body.dump();
  auto second = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->rsc, exchange::kRscCreated);
  EXPECT_EQ(second->body, first->body);
  auto answer = exchange::ParseEnrolmentAnswer(first->body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->ke_id, ke_id);
  EXPECT_EQ(store_.record_calls(), 1);
  EXPECT_EQ(EnrolmentRows(), 1u);
}

TEST_P(EnrolmentSessionTest, RequestAfterStoreFailureOnSameSessionIsRecordedAgain) {
  StartServer();
  store_.FailRecords(absl::UnavailableError("down"), /*times=*/1);
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto first = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->rsc, exchange::kRscTargetNotReachable);
  auto second = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"enrolment":{"type":"maf"}})"), kMefFqdn, deadline);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->rsc, exchange::kRscCreated);
  EXPECT_EQ(EnrolmentRows(), 1u);
}

TEST_P(EnrolmentSessionTest, MalformedJsonGets4000) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  if (GetParam() == tls::Transport::kTls) {
    // Raw bytes, so nothing on the client side validates the body.
    const std::string body = R"({"enrolment": {"type": "maf")";
    std::string raw = absl::StrCat(
        "POST /enrolment HTTP/1.1\r\nHost: mef.example.com\r\nX-M2M-Origin: C-device-0001\r\n"
        "X-M2M-RI: rq-malformed\r\nContent-Type: application/json\r\nContent-Length: ",
        body.size(), "\r\n\r\n", body);
    ASSERT_TRUE((*c)->Write(raw, deadline).ok());
    http::ResponseParser parser;
    bool complete = false;
    while (!complete) {
      auto chunk = (*c)->Read(4096, deadline);
      ASSERT_TRUE(chunk.ok()) << chunk.status();
      ASSERT_FALSE(chunk->empty()) << "session closed before the answer";
      auto fed = parser.Feed(*chunk);
      ASSERT_TRUE(fed.ok()) << fed.status();
      complete = fed->state == http::ParseState::kComplete;
    }
    auto resp = parser.TakeResponse();
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->status, 400);
    const std::string* rsc = http::FindHeader(resp->headers, exchange::kHeaderRsc);
    ASSERT_NE(rsc, nullptr);
    EXPECT_EQ(*rsc, "4000");
    const std::string* ri = http::FindHeader(resp->headers, exchange::kHeaderRequestId);
    ASSERT_NE(ri, nullptr);
    EXPECT_EQ(*ri, "rq-malformed");
  } else {
    auto resp = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest("{not json"),
                                             kMefFqdn, deadline);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->rsc, exchange::kRscBadRequest);
  }
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"bad_request"});
}

TEST_P(EnrolmentSessionTest, UnknownPathGets4004) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  exchange::Request req = EnrolmentRequest(R"({"enrolment":{"type":"maf"}})");
  req.path = "/maf/keys";
  auto resp =
      enrolee::ExchangeOverSession(**c, GetParam(), req, kMefFqdn, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotFound);
  EXPECT_EQ(EnrolmentRows(), 0u);
}

TEST_P(EnrolmentSessionTest, KeNeverOutlivesEnroleeNotAfter) {
  absl::Time not_after = absl::Now() + absl::Minutes(10) + absl::Milliseconds(500);
  AddEnrolee("device-0002", Kpm(), "C-device-0002", absl::Hours(1), not_after);
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.kpm_id = "device-0002";
  auto r = enrolee::Bootstrap(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(not_after)));
  auto view = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r->ke_id));
  ASSERT_TRUE(view.ok());
  EXPECT_LE(view->enrolment.expires_at, not_after);
}

TEST_P(EnrolmentSessionTest, DefaultLifetimeAppliesWhenEnroleeSetsNone) {
  AddEnrolee("device-0003", Kpm(), "C-device-0003", std::nullopt, std::nullopt);
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.kpm_id = "device-0003";
  absl::Time before = absl::Now();
  auto r = enrolee::Bootstrap(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(before + absl::Hours(24))));
  EXPECT_LE(r->expires_at, absl::Now() + absl::Hours(24));
}

// --- TS-0003 8.3.2.1's full exchange: Table 8.3.2.1-1 request, Table 8.3.2.1-3 answer, the
// Enrolee's success message and the MEF's end-of-exchange answer on the same session ----------

constexpr char kFullRequest[] =
    R"({"certificateEnrolmentIndication":false,"mafEnrolmentIndication":true,)"
    R"("remoteManagementIndication":false})";

TEST_P(EnrolmentSessionTest, IndicationsRequestGetsTable_8_3_2_1_3AnswerWithMafUris) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  std::string ke_id = ExpectedKeId(**c);
  auto resp = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest(kFullRequest),
                                           kMefFqdn, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->rsc, exchange::kRscCreated) << resp->body.dump();
  EXPECT_EQ(resp->body["instructionType"], "mafEnrolment");
  EXPECT_EQ(resp->body["credentialType"], "symmetric");
  EXPECT_FALSE(resp->body.contains("expirationTime"));  // Table 8.3.2.1-3 calls it lifetime
  auto answer = exchange::ParseEnrolmentAnswer(resp->body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->ke_id, ke_id);
  EXPECT_EQ(answer->enrolee_id, kEnroleeId);
  EXPECT_EQ(answer->maf_id, kMafId);
  ASSERT_TRUE(answer->maf_uris.has_value());
  EXPECT_EQ(answer->maf_uris->client_registration, std::string(kMafUri) + "/maf/clients");
  EXPECT_EQ(answer->maf_uris->key_registration, std::string(kMafUri) + "/maf/keys");
  EXPECT_EQ(answer->maf_uris->key_retrieval, std::string(kMafUri) + "/maf/keys/retrieve");
  // Lifetime is the enrolment's expiry (TS-0003 10.7), the row's expires_at.
  auto row = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(ke_id));
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(answer->expiration_time, row->enrolment.expires_at);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"ok"});
}

TEST_P(EnrolmentSessionTest, IndicationsWithoutMafGet5001AndStoreNothing) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(),
      EnrolmentRequest(R"({"certificateEnrolmentIndication":true,"mafEnrolmentIndication":false,)"
                       R"("remoteManagementIndication":true})"),
      kMefFqdn, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscNotImplemented);
  EXPECT_NE(resp->body.dump().find("mafEnrolmentIndication"), std::string::npos);
  EXPECT_EQ(EnrolmentRows(), 0u);
  EXPECT_EQ(observer_.outcomes(), std::vector<std::string>{"not_supported"});
}

// The clause's steps after MAF Client Registration: success message -> end of exchange -> the MEF
// closes the session. Both request forms allow it.
TEST_P(EnrolmentSessionTest, SuccessMessageGetsEndOfExchangeAndSessionCloses) {
  StartServer();
  for (const char* first_request : {kFullRequest, R"({"enrolment":{"type":"maf"}})"}) {
    SCOPED_TRACE(first_request);
    auto c = Connect(GetParam());
    ASSERT_TRUE(c.ok()) << c.status();
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    auto answer = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest(first_request),
                                               kMefFqdn, deadline);
    ASSERT_TRUE(answer.ok()) << answer.status();
    ASSERT_EQ(answer->rsc, exchange::kRscCreated);
    auto end = enrolee::ExchangeOverSession(
        **c, GetParam(), EnrolmentRequest(R"({"instructionType":"mafEnrolment","status":true})"),
        kMefFqdn, deadline);
    ASSERT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(end->rsc, exchange::kRscOk);
    EXPECT_TRUE(exchange::CheckEndOfExchangeAnswer(end->body).ok()) << end->body.dump();
    // The MEF closed the session: end of stream (close_notify), not silence until a deadline.
    absl::StatusOr<std::string> more = (*c)->Read(4096, absl::Now() + absl::Seconds(3));
    if (more.ok()) {
      EXPECT_TRUE(more->empty()) << "unexpected bytes after the end of the exchange";
    } else {
      EXPECT_NE(more.status().code(), absl::StatusCode::kDeadlineExceeded) << more.status();
    }
  }
  EXPECT_EQ(EnrolmentRows(), 2u);
}

TEST_P(EnrolmentSessionTest, SuccessMessageBeforeAnyAnswerGets4000) {
  StartServer();
  auto c = Connect(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"instructionType":"mafEnrolment","status":true})"),
      kMefFqdn, deadline);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscBadRequest);
  // The session stays usable: the enrolment still works afterwards.
  auto answer = enrolee::ExchangeOverSession(**c, GetParam(), EnrolmentRequest(kFullRequest),
                                             kMefFqdn, deadline);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->rsc, exchange::kRscCreated);
  // A result for an instruction this MEF never gave is refused too.
  resp = enrolee::ExchangeOverSession(
      **c, GetParam(), EnrolmentRequest(R"({"instructionType":"remoteManagement","status":true})"),
      kMefFqdn, deadline);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->rsc, exchange::kRscBadRequest);
}

TEST_P(EnrolmentSessionTest, LibraryRunsTheFullExchangeAndReportsSuccess) {
  StartServer();
  enrolee::BootstrapOptions o = Options(GetParam());
  o.full_form = true;
  absl::StatusOr<std::unique_ptr<enrolee::EnrolmentExchange>> x = enrolee::StartEnrolment(o);
  ASSERT_TRUE(x.ok()) << x.status();
  const enrolee::BootstrapResult& r = (*x)->result();
  ASSERT_TRUE(r.maf_uris.has_value());
  EXPECT_EQ(r.maf_uris->key_registration, std::string(kMafUri) + "/maf/keys");
  EXPECT_EQ(r.enrolee_id, kEnroleeId);
  auto row = store_.GetEnrolmentByKeId(*crypto::KeyId::Parse(r.ke_id));
  ASSERT_TRUE(row.ok()) << row.status();  // durable before the answer
  // ... the device would register with the MAF here (TS-0003 8.8.2.4) ...
  absl::Status done = (*x)->ReportResult(/*success=*/true);
  EXPECT_TRUE(done.ok()) << done;
}

TEST(MafUrisForTest, DerivesFromEnroleeDefaultOrMafIdAndHonoursExplicitUris) {
  EnrolmentConfig config;
  Enrolee e;
  e.maf_id = "maf.example.com";
  e.maf_uri = "https://maf.example.com:8443/";  // trailing slash: not doubled
  exchange::MafUris u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.client_registration, "https://maf.example.com:8443/maf/clients");
  EXPECT_EQ(u.key_registration, "https://maf.example.com:8443/maf/keys");
  EXPECT_EQ(u.key_retrieval, "https://maf.example.com:8443/maf/keys/retrieve");

  e.maf_uri.reset();
  u = MafUrisFor(config, e, tls::Transport::kDtls);
  EXPECT_EQ(u.key_registration, "coaps://maf.example.com/maf/keys");
  u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.key_registration, "https://maf.example.com/maf/keys");

  config.default_maf_uri = "coaps://maf.internal:5684";
  u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.key_retrieval, "coaps://maf.internal:5684/maf/keys/retrieve");

  config.maf_key_retrieval_uri = "https://gw.example.com/retrieve";
  u = MafUrisFor(config, e, tls::Transport::kTls);
  EXPECT_EQ(u.key_retrieval, "https://gw.example.com/retrieve");
  EXPECT_EQ(u.key_registration, "coaps://maf.internal:5684/maf/keys");
}
}  // namespace
}  // namespace onem2m::mef
