// MafSessionFactory (maf_session_factory.h) behind a real PskServer on 127.0.0.1:0, TLS and DTLS,
// with MafPskResolver over a KmResolver (fake MEF fetcher, MemoryMafStore): a device
// (enrolee::MafClient) registers and registers a key whose Key Identifier is the one both sides
// export; a slow fetch for one KeID (its handshake paused on the asynchronous lookup) does not hold
// up another device's KmID handshake. Loopback only; every wait has a deadline.
#include "maf/server/maf_session_factory.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/exchange/rsc.h"
#include "common/psk_server/psk_server.h"
#include "common/testing/status_matchers.h"
#include "common/tls/psk_context.h"
#include "enrolee/maf_client.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/fake_fetcher.h"
#include "maf/procedures/maf_request_handler.h"
#include "maf/server/maf_psk_resolver.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

using testing::FakeFetcher;

constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";

std::string KeId(int i) { return testing::FakeKeId(i, kMef); }
SecretBytes KmFor(const std::string& ke_id) { return testing::FakeKmFor(ke_id); }
std::string KmIdFor(int i) { return *crypto::DeriveKmId(KmFor(KeId(i)), kMaf); }
// Connects expected to fail: a failed DTLS handshake is silence, so the client waits this long.
constexpr absl::Duration kFailFast = absl::Milliseconds(1500);
std::string EnroleeFor(int i) { return "C-" + KeId(i).substr(30, 2); }

struct ServerParams {
  tls::Transport transport;
  // MafSessionConfig::handler left empty (the factory's default); otherwise an explicit
  // MafRequestHandler, as services/maf wires it.
  bool default_handler;
};

std::string Name(const ::testing::TestParamInfo<ServerParams>& p) {
  return std::string(p.param.transport == tls::Transport::kTls ? "Tls" : "Dtls") +
         (p.param.default_handler ? "DefaultHandler" : "Handler");
}

class MafSessionFactoryTest : public ::testing::TestWithParam<ServerParams> {
 protected:
  void SetUp() override { StartServer(GetParam().default_handler); }

  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (server_) server_->Shutdown(absl::Seconds(1));
    server_.reset();
    if (km_resolver_) {
      EXPECT_TRUE(km_resolver_->WaitIdle(absl::Now() + absl::Seconds(10)));
    }
  }

  void StartServer(bool default_handler, absl::Duration fetch_timeout = absl::Seconds(3)) {
    KmResolverOptions ko;
    ko.maf_fqdn = kMaf;
    ko.fetchers[kMef] = fetcher_;
    ko.store = store_.get();
    ko.envelope = &envelope_;
    absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(ko));
    ASSERT_THAT(r, IsOk());
    km_resolver_ = *r;

    MafSessionConfig sc;
    sc.ctx.store = store_.get();
    sc.ctx.envelope = &envelope_;
    sc.ctx.maf_fqdn = kMaf;
    sc.recorder = &recorder_;
    if (!default_handler) {
      auto handler = std::make_shared<MafRequestHandler>(sc.ctx);
      sc.handler = [handler](const MafSession& s, exchange::Request req,
                             std::function<void(exchange::Response)> respond) {
        respond(handler->Handle(req, s));
      };
    }
    factory_ = std::make_unique<MafSessionFactory>(std::move(sc));

    auto psk = std::make_shared<MafPskResolver>(km_resolver_, fetch_timeout);
    server::PskServerOptions so;
    so.tls_listen = {"127.0.0.1:0"};
    so.dtls_listen = {"127.0.0.1:0"};
    for (tls::Transport t : {tls::Transport::kTls, tls::Transport::kDtls}) {
      tls::ServerOptions o;
      o.transport = t;
      o.handshake_timeout = absl::Seconds(8);
      absl::StatusOr<std::shared_ptr<const tls::PskContext>> ctx =
          tls::PskContext::NewServer(o, psk);
      ASSERT_THAT(ctx, IsOk());
      (t == tls::Transport::kTls ? so.tls_context : so.dtls_context) = *ctx;
    }
    so.io_threads = 2;
    so.max_sessions_per_source = 0;
    absl::StatusOr<std::unique_ptr<server::PskServer>> srv =
        server::PskServer::Start(so, factory_.get(), nullptr);
    ASSERT_THAT(srv, IsOk());
    server_ = *std::move(srv);
  }

  enrolee::MafClientOptions Options(const std::string& identity, const SecretBytes& km,
                                    absl::Duration timeout = absl::Seconds(5)) {
    enrolee::MafClientOptions o;
    o.maf_host = "127.0.0.1";
    o.transport = GetParam().transport;
    o.maf_port = o.transport == tls::Transport::kTls ? server_->tls_addresses().at(0).port()
                                                     : server_->dtls_addresses().at(0).port();
    o.maf_fqdn = kMaf;
    o.psk_identity = identity;
    o.psk = SecretBytes::Copy(km.Reveal());
    o.timeout = timeout;
    return o;
  }

  // Enrol connects device `i` with its KeID (first contact) and registers it as a MAF Client.
  void Enrol(int i) {
    absl::StatusOr<std::unique_ptr<enrolee::MafClient>> c =
        enrolee::MafClient::Connect(Options(KeId(i), KmFor(KeId(i))));
    ASSERT_THAT(c, IsOk());
    absl::StatusOr<enrolee::MafRegistration> reg = (*c)->RegisterClient(KmIdFor(i));
    ASSERT_THAT(reg, IsOk());
  }

  std::shared_ptr<FakeFetcher> fetcher_ = std::make_shared<FakeFetcher>();
  std::unique_ptr<MemoryMafStore> store_ = MemoryMafStore::Create();
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  std::shared_ptr<KmResolver> km_resolver_;
  // No thread: the tests flush it themselves.
  HandshakeRecorder recorder_{store_.get(), HandshakeRecorderOptions{.flush_every = {}}};
  std::unique_ptr<MafSessionFactory> factory_;
  std::unique_ptr<server::PskServer> server_;
  absl::Notification release_;
};

TEST_P(MafSessionFactoryTest, DeviceRegistersAndRegistersAnExportedKey) {
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> c =
      enrolee::MafClient::Connect(Options(KeId(1), KmFor(KeId(1))));
  ASSERT_THAT(c, IsOk());
  absl::StatusOr<enrolee::MafRegistration> reg = (*c)->RegisterClient(KmIdFor(1));
  ASSERT_THAT(reg, IsOk());
  EXPECT_EQ(reg->assigned_symm_key_id, KmIdFor(1));
  EXPECT_EQ(reg->maf_client_id, EnroleeFor(1));
  EXPECT_FALSE(reg->maf_client_reg_id.empty());

  absl::StatusOr<enrolee::RegisteredKey> key = (*c)->RegisterKey({"C-target"}, 32);
  ASSERT_THAT(key, IsOk());
  // The device's own export names the key: Key ID = hex(bytes 0..15) '@' MAF-FQDN, Kc = 16..47.
  absl::StatusOr<SecretBytes> exported =
      (*c)->session().Export(crypto::kConnectionExporterLabel, crypto::kExportLen);
  ASSERT_THAT(exported, IsOk());
  absl::StatusOr<crypto::DerivedKey> mine = crypto::KeyFromExport(*exported, kMaf);
  ASSERT_THAT(mine, IsOk());
  EXPECT_EQ(key->key_id, mine->key_id);
  EXPECT_TRUE(key->kc.Equals(mine->key));
  EXPECT_TRUE(absl::EndsWith(key->key_id, std::string("@") + kMaf)) << key->key_id;
  // The MAF stored the same key (sealed), under this device's KmID.
  absl::StatusOr<MafKey> stored = store_->GetActiveKey(key->key_id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->km_id.ToString(), KmIdFor(1));
  EXPECT_EQ(stored->maf_client_reg_id, reg->maf_client_reg_id);
  absl::StatusOr<SecretBytes> opened = envelope_.Open(stored->key.ciphertext, stored->key_id);
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->Equals(mine->key));
  absl::StatusOr<MafClient> client =
      store_->GetActiveClientByKmId(*crypto::KeyId::Parse(KmIdFor(1)));
  ASSERT_THAT(client, IsOk());
  EXPECT_LE(stored->expires_at, client->expires_at);

  // Later contact with the KmID: same registration, no second fetch.
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> again =
      enrolee::MafClient::Connect(Options(KmIdFor(1), KmFor(KeId(1))));
  ASSERT_THAT(again, IsOk());
  absl::StatusOr<enrolee::MafRegistration> reg2 = (*again)->RegisterClient(KmIdFor(1));
  ASSERT_THAT(reg2, IsOk());
  EXPECT_EQ(reg2->maf_client_reg_id, reg->maf_client_reg_id);
  EXPECT_EQ(fetcher_->calls, 1);

  // A target retrieves the key over its own session.
  Enrol(2);
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> target =
      enrolee::MafClient::Connect(Options(KmIdFor(2), KmFor(KeId(2))));
  ASSERT_THAT(target, IsOk());
  absl::StatusOr<enrolee::RetrievedKey> got = (*target)->RetrieveKey(key->key_id);
  EXPECT_THAT(got, ::testing::Not(IsOk()));  // C-02 is not a target of this key
  absl::StatusOr<enrolee::RegisteredKey> for_two = (*again)->RegisterKey({EnroleeFor(2)}, 33);
  ASSERT_THAT(for_two, IsOk());
  got = (*target)->RetrieveKey(for_two->key_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->key.Equals(for_two->kc));
  EXPECT_EQ(got->suid, 33);
}

TEST_P(MafSessionFactoryTest, WrongKmOrUnknownIdentityFailsTheHandshake) {
  EXPECT_THAT(enrolee::MafClient::Connect(Options(KeId(1), KmFor(KeId(2)), kFailFast)),
              ::testing::Not(IsOk()));
  std::string unknown_km_id = KeId(3);
  unknown_km_id.replace(unknown_km_id.find('@') + 1, std::string::npos, kMaf);
  EXPECT_THAT(enrolee::MafClient::Connect(Options(unknown_km_id, KmFor(KeId(3)), kFailFast)),
              ::testing::Not(IsOk()));
  // The server is still fine.
  Enrol(1);
}

TEST_P(MafSessionFactoryTest, CompletedHandshakesShowInTheAdminViewRefusedOnesDoNot) {
  const absl::Time before = absl::Now();
  Enrol(1);  // a first contact (KeID) is a completed handshake with Km too
  EXPECT_THAT(enrolee::MafClient::Connect(Options(KeId(2), KmFor(KeId(3)), kFailFast)),
              ::testing::Not(IsOk()));
  EXPECT_EQ(recorder_.stats().noted, 1);
  ASSERT_THAT(recorder_.Flush(), IsOk());
  absl::StatusOr<MafCredential> c =
      store_->FindCredential(CredentialKey::kKmId, *crypto::KeyId::Parse(KmIdFor(1)));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->last_transport,
            GetParam().transport == tls::Transport::kTls ? Transport::kTls : Transport::kDtls);
  EXPECT_GE(c->last_handshake_at, absl::FromUnixMicros(absl::ToUnixMicros(before)));
  EXPECT_LE(c->last_handshake_at, absl::Now());
  // A reconnect within the interval is noted in memory only.
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> again =
      enrolee::MafClient::Connect(Options(KmIdFor(1), KmFor(KeId(1))));
  ASSERT_THAT(again, IsOk());
  // The server may finish its side of the handshake just after the client (DTLS): wait for it.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (recorder_.stats().noted < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(recorder_.stats().noted, 2);
  ASSERT_THAT(recorder_.Flush(), IsOk());
  EXPECT_EQ(recorder_.stats().written, 1);
}

TEST_P(MafSessionFactoryTest, RevokedCredentialFailsTheHandshake) {
  Enrol(1);
  ASSERT_THAT(
      km_resolver_->OnRevokedKeId(*crypto::KeyId::Parse(KeId(1)), Revocation{"mef", "test", {}}),
      IsOk());
  EXPECT_THAT(enrolee::MafClient::Connect(Options(KmIdFor(1), KmFor(KeId(1)), kFailFast)),
              ::testing::Not(IsOk()));
  EXPECT_THAT(enrolee::MafClient::Connect(Options(KeId(1), KmFor(KeId(1)), kFailFast)),
              ::testing::Not(IsOk()));
}

// Key Registration Update and De-Registration reach the procedures through the session.
TEST_P(MafSessionFactoryTest, UpdateAndDeregistrationReachTheHandler) {
  Enrol(1);
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> c =
      enrolee::MafClient::Connect(Options(KmIdFor(1), KmFor(KeId(1))));
  ASSERT_THAT(c, IsOk());
  absl::StatusOr<enrolee::RegisteredKey> key = (*c)->RegisterKey({"C-target"}, 32);
  ASSERT_THAT(key, IsOk());

  exchange::KeyUpdateRequest u;
  u.key = *exchange::SplitKeyId(key->key_id);
  u.target_ids = std::vector<std::string>{"C-other"};
  exchange::Request update;
  update.path = std::string(exchange::PathFor(exchange::Operation::kMafKeyUpdate));
  update.body = *exchange::SerializeKeyUpdateRequest(u);
  absl::StatusOr<exchange::Response> resp = (*c)->Exchange(update);
  ASSERT_THAT(resp, IsOk());
  EXPECT_EQ(resp->rsc, exchange::kRscUpdated) << resp->body.dump();
  absl::StatusOr<MafKey> stored = store_->GetActiveKey(key->key_id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->target_ids, std::vector<std::string>{"C-other"});

  exchange::DeregistrationRequest d;
  d.key_id = key->key_id;
  exchange::Request dereg;
  dereg.path = std::string(exchange::PathFor(exchange::Operation::kMafDeregistration));
  dereg.body = *exchange::SerializeDeregistrationRequest(d);
  resp = (*c)->Exchange(dereg);
  ASSERT_THAT(resp, IsOk());
  EXPECT_EQ(resp->rsc, exchange::kRscDeleted) << resp->body.dump();
  EXPECT_THAT(store_->GetActiveKey(key->key_id), StatusIs(absl::StatusCode::kNotFound));
}

// A KeID whose MEF fetch hangs pauses its own handshake (and holds one KmResolver flight) only: a
// registered device presenting its KmID meanwhile completes its handshake and a request at once.
TEST_P(MafSessionFactoryTest, SlowFetchForOneKeIdDoesNotStallAnotherDevicesKmIdHandshake) {
  Enrol(2);
  absl::Notification fetching;
  fetcher_->answer = [&](const crypto::KeyId& ke_id, absl::Time) {
    if (ke_id == *crypto::KeyId::Parse(KeId(1))) {
      fetching.Notify();
      release_.WaitForNotificationWithTimeout(absl::Seconds(3));  // the fetch deadline is 3 s
    }
    return absl::StatusOr<FetchedCredential>(fetcher_->Good(ke_id));
  };
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> slow = absl::UnknownError("not run");
  std::thread t([&] {
    slow = enrolee::MafClient::Connect(Options(KeId(1), KmFor(KeId(1)), absl::Seconds(8)));
  });
  ASSERT_TRUE(fetching.WaitForNotificationWithTimeout(absl::Seconds(5)));

  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> other =
      enrolee::MafClient::Connect(Options(KmIdFor(2), KmFor(KeId(2))));
  ASSERT_THAT(other, IsOk());
  absl::StatusOr<enrolee::MafRegistration> reg = (*other)->RegisterClient(KmIdFor(2));
  const absl::Duration took = absl::Now() - start;
  ASSERT_THAT(reg, IsOk());
  // Well before the slow fetch's 3 s deadline.
  EXPECT_LT(took, absl::Seconds(1)) << "the KmID handshake waited " << took;

  if (!release_.HasBeenNotified()) release_.Notify();
  t.join();
  ASSERT_THAT(slow, IsOk());
  EXPECT_THAT((*slow)->RegisterClient(KmIdFor(1)), IsOk());
}

INSTANTIATE_TEST_SUITE_P(Transports, MafSessionFactoryTest,
                         ::testing::Values(ServerParams{tls::Transport::kTls, false},
                                           ServerParams{tls::Transport::kDtls, false},
                                           ServerParams{tls::Transport::kTls, true},
                                           ServerParams{tls::Transport::kDtls, true}),
                         Name);

}  // namespace
}  // namespace maf
}  // namespace onem2m
