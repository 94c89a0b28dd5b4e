// HandshakeServer (handshake_server.h) on 127.0.0.1:0 over a store whose registrations are answered
// later, from a thread of its own, as PgMafStore's group committer answers them: a device's Client
// Registration is started on the I/O thread (no worker runs it), answered once the store answers,
// and the server's destructor waits for an answer still owed before it returns.
#include "maf/server/handshake_server.h"

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/testing/wait_for.h"
#include "enrolee/maf_client.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/fake_fetcher.h"
#include "maf/store/forwarding_maf_store.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;

constexpr char kMaf[] = "maf.example.com";
constexpr char kMef[] = "mef.example.com";

std::string KeId(int i) { return testing::FakeKeId(i, kMef); }
SecretBytes KmFor(const std::string& ke_id) { return testing::FakeKmFor(ke_id); }

// DeferredRegistrations answers RegisterClientAsync from its own thread once the test releases
// it; every other call goes to the memory store. RegisterClient (the waiting path) is counted.
class DeferredRegistrations : public ForwardingMafStore {
 public:
  DeferredRegistrations() : ForwardingMafStore(MemoryMafStore::Create()) {}
  ~DeferredRegistrations() override {
    Release();
    if (answerer_.joinable()) answerer_.join();
  }

  bool RegistersWithoutWaiting() const override { return true; }
  void RegisterClientAsync(const crypto::KeyId& km_id, absl::Time expiry,
                           RegisterDone done) override {
    absl::MutexLock l(&mu_);
    queued_.push_back([this, km_id, expiry, done = std::move(done)] {
      done(ForwardingMafStore::RegisterClient(km_id, expiry));
    });
    if (!answerer_.joinable()) answerer_ = std::thread([this] { Answer(); });
  }
  absl::StatusOr<MafClient> RegisterClient(const crypto::KeyId& km_id,
                                           absl::Time expiry) override {
    ++waited_;
    return ForwardingMafStore::RegisterClient(km_id, expiry);
  }

  void Release() {
    absl::MutexLock l(&mu_);
    released_ = true;
  }
  size_t queued() {
    absl::MutexLock l(&mu_);
    return queued_.size();
  }
  int waited() const { return waited_.load(); }

 private:
  void Answer() {
    for (;;) {
      std::function<void()> next;
      {
        absl::MutexLock l(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return released_ && !queued_.empty();
        };
        if (!mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30))) return;
        next = std::move(queued_.front());
        queued_.pop_front();
      }
      next();
      absl::MutexLock l(&mu_);
      if (queued_.empty()) return;
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> queued_ ABSL_GUARDED_BY(mu_);
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::thread answerer_;
  std::atomic<int> waited_{0};
};

class HandshakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KmResolverOptions ko;
    ko.maf_fqdn = kMaf;
    ko.fetchers[kMef] = std::make_shared<testing::FakeFetcher>();
    ko.store = &store_;
    ko.envelope = &envelope_;
    absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(ko));
    ASSERT_THAT(r, IsOk());
    HandshakeServerOptions o;
    o.maf_fqdn = kMaf;
    o.tls_listen = {"127.0.0.1:0"};
    o.handshake_records.flush_every = absl::ZeroDuration();
    absl::StatusOr<std::unique_ptr<HandshakeServer>> s = HandshakeServer::Start(
        o, &store_, &envelope_, *r,
        [this](const std::string& path, int rsc) {
          if (path == "/maf/clients" && rsc == 2001) ++answered_;
        },
        nullptr);
    ASSERT_THAT(s, IsOk());
    server_ = std::move(*s);
  }

  enrolee::MafClientOptions Options(int i) {
    enrolee::MafClientOptions o;
    o.maf_host = "127.0.0.1";
    o.maf_port = server_->tls_addresses().at(0).port();
    o.maf_fqdn = kMaf;
    o.psk_identity = KeId(i);
    o.psk = KmFor(KeId(i));
    o.timeout = absl::Seconds(10);
    return o;
  }

  DeferredRegistrations store_;  // outlives the server, whose destructor may wait on it
  crypto::Envelope envelope_{crypto::Keyring::Generate(1)};
  std::atomic<int> answered_{0};
  std::unique_ptr<HandshakeServer> server_;
};

TEST_F(HandshakeServerTest, ARegistrationIsAnsweredWhenTheStoreAnswersWithNoWorkerWaiting) {
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> c = enrolee::MafClient::Connect(Options(1));
  ASSERT_THAT(c, IsOk());
  absl::StatusOr<enrolee::MafRegistration> reg = absl::UnknownError("not answered");
  absl::Notification done;
  std::thread device([&] {
    reg = (*c)->RegisterClient(*crypto::DeriveKmId(KmFor(KeId(1)), kMaf));
    done.Notify();
  });
  // The request reached the store's queue; nothing answers it until the store does.
  ASSERT_TRUE(::onem2m::testing::WaitFor([&] { return store_.queued() == 1; }));
  EXPECT_FALSE(done.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  store_.Release();
  device.join();
  ASSERT_THAT(reg, IsOk());
  EXPECT_EQ(reg->maf_client_id, testing::FakeEnroleeFor(*crypto::KeyId::Parse(KeId(1))));
  EXPECT_EQ(store_.waited(), 0);  // no thread ran the waiting RegisterClient
  EXPECT_EQ(answered_.load(), 1);
}

TEST_F(HandshakeServerTest, TheDestructorWaitsForARegistrationTheStoreStillOwes) {
  absl::StatusOr<std::unique_ptr<enrolee::MafClient>> c = enrolee::MafClient::Connect(Options(2));
  ASSERT_THAT(c, IsOk());
  std::thread device([&] {
    // The answer never arrives: the server is gone by the time the store answers.
    (void)(*c)->RegisterClient(*crypto::DeriveKmId(KmFor(KeId(2)), kMaf));
  });
  ASSERT_TRUE(::onem2m::testing::WaitFor([&] { return store_.queued() == 1; }));
  std::thread release([&] {
    absl::SleepFor(absl::Milliseconds(300));
    store_.Release();
  });
  const absl::Time start = absl::Now();
  server_.reset();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_EQ(answered_.load(), 1);  // heard before the destructor returned
  release.join();
  device.join();
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
