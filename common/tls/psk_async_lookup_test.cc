// PSK lookups that take time: a session driven from another thread with a blocking resolver, and
// asynchronous lookups that pause the handshake (docs/protocol.md 2).
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/testing/status_matchers.h"
#include "common/tls/blocking_client.h"
#include "common/tls/dtls_cookie.h"
#include "common/tls/dtls_listener.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "common/tls/testing/loopback_server.h"
#include "common/tls/testing/psk_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

using ::onem2m::testing::IsOk;
using testing::Client;
using testing::Deadline;
using testing::DriveToDone;
using testing::Key;
using testing::kIdentity;
using testing::kServerName;
using testing::LoopbackServer;
using testing::Resolver;
using testing::Server;
using testing::StreamPair;

// ---------------------------------------------------------------------------------------------
// A session is not tied to the thread that started it: a blocking resolver may drive it from
// another thread (as a server without asynchronous lookups would).

TEST(PskHandshakeTest, SessionMovesToAnotherThreadWithBlockingResolver) {
  ServerOptions options;
  // A remote fetch: the lookup blocks its thread until another thread (the "fetch") answers.
  absl::Notification lookup_started, fetch_answered;
  std::thread fetch([&] {
    lookup_started.WaitForNotification();
    fetch_answered.Notify();
  });
  auto slow = std::make_shared<FunctionPskResolver>(
      [&](absl::string_view identity) -> absl::StatusOr<SecretBytes> {
        lookup_started.Notify();
        fetch_answered.WaitForNotification();
        if (identity == kIdentity) return Key('k');
        return absl::NotFoundError("unknown");
      });
  absl::StatusOr<std::shared_ptr<const PskContext>> server_ctx =
      PskContext::NewServer(options, slow);
  ASSERT_THAT(server_ctx, IsOk());
  StreamPair p(*server_ctx);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.server->Handshake(), Step::kWantRead);  // Event-loop thread: nothing yet.
  Step server_step = Step::kFailed;
  std::thread worker([&] { server_step = DriveToDone(p.server.get(), p.sv[0]); });
  Step client_step = DriveToDone(p.client.get(), p.sv[1]);
  worker.join();
  if (!lookup_started.HasBeenNotified()) lookup_started.Notify();  // let `fetch` end regardless
  fetch.join();
  ASSERT_EQ(client_step, Step::kDone) << p.client->status();
  ASSERT_EQ(server_step, Step::kDone) << p.server->status();
  auto a = p.server->Export(kBootstrapExporterLabel, 48);
  auto b = p.client->Export(kBootstrapExporterLabel, 48);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->Equals(*b));
  EXPECT_EQ(p.server->psk_lookup(), PskLookup::kFound);
}

// An asynchronous resolver whose lookups wait until the test answers them (AnswerAll), each from
// its own thread as a resolver's flight thread would; counts the calls.
class AsyncTestResolver : public PskResolver {
 public:
  ~AsyncTestResolver() override {
    AnswerAll();
    JoinAnswers();
  }
  absl::StatusOr<ResolvedPsk> Resolve(absl::string_view) override {
    ++sync_calls;
    return absl::InternalError("the synchronous path must not be used");
  }
  bool SupportsAsync() const override { return true; }
  void ResolveAsync(absl::string_view identity, ResolveDone done) override {
    ++async_calls;
    absl::MutexLock l(&mu_);
    held_.push_back({std::string(identity), std::move(done)});
  }
  // AnswerAll answers every held lookup (kIdentity: the key; anything else: not found).
  void AnswerAll() {
    absl::MutexLock l(&mu_);
    for (Held& h : held_) {
      threads_.emplace_back([id = std::move(h.identity), done = std::move(h.done)] {
        done(id == kIdentity ? absl::StatusOr<SecretBytes>(Key('k'))
                             : absl::NotFoundError("unknown"));
      });
    }
    held_.clear();
  }
  // JoinAnswers returns once every answer given so far has been delivered.
  void JoinAnswers() {
    std::vector<std::thread> threads;
    {
      absl::MutexLock l(&mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  std::atomic<int> sync_calls{0};
  std::atomic<int> async_calls{0};

 private:
  struct Held {
    std::string identity;
    ResolveDone done;
  };
  absl::Mutex mu_;
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

// AsyncServer is a TLS server session over one end of a socketpair whose lookups go to `resolver`;
// it counts its async-ready callbacks.
struct AsyncServer {
  explicit AsyncServer(std::shared_ptr<PskResolver> resolver, std::string identity = kIdentity) {
    absl::StatusOr<std::shared_ptr<const PskContext>> ctx =
        PskContext::NewServer(ServerOptions(), std::move(resolver));
    EXPECT_THAT(ctx, IsOk());
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    auto s = PskSession::NewStream(*ctx, sv[0], absl::Now());
    EXPECT_THAT(s, IsOk());
    if (s.ok()) session = *std::move(s);
    if (session != nullptr) {
      session->EnableAsyncLookup([this] {
        absl::MutexLock l(&mu);
        ++wakeups;
      });
    }
    client_thread = std::thread([this, identity] {
      auto client = PskSession::NewStream(Client(Transport::kTls, identity), sv[1], absl::Now());
      if (client.ok()) client_step = DriveToDone(client->get(), sv[1]);
    });
  }
  ~AsyncServer() {
    shutdown(sv[0], SHUT_RDWR);
    if (client_thread.joinable()) client_thread.join();
    if (session != nullptr) session->Close();
    session.reset();
    close(sv[0]);
    close(sv[1]);
  }
  // TakeWakeup waits for an async-ready callback (false if none came by `deadline`) and consumes
  // it.
  bool TakeWakeup(absl::Time deadline) {
    absl::MutexLock l(&mu);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return wakeups > 0; };
    if (!mu.AwaitWithDeadline(absl::Condition(&woken), deadline)) return false;
    --wakeups;
    return true;
  }
  int Wakeups() {
    absl::MutexLock l(&mu);
    return wakeups;
  }
  // PauseOnLookup drives the handshake until it pauses on the key lookup.
  Step PauseOnLookup() {
    Step step = Step::kWantRead;
    const absl::Time deadline = Deadline();
    while (step != Step::kWantAsync && absl::Now() < deadline) {
      step = session->Handshake();
      pollfd p = {sv[0], POLLIN, 0};
      if (step == Step::kWantRead) poll(&p, 1, 20);
    }
    return step;
  }

  int sv[2] = {-1, -1};
  std::unique_ptr<PskSession> session;
  absl::Mutex mu;
  int wakeups ABSL_GUARDED_BY(mu) = 0;
  std::atomic<Step> client_step{Step::kFailed};
  std::thread client_thread;
};

TEST(PskHandshakeTest, AsyncLookupPausesTheHandshakeInsteadOfBlocking) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  for (std::string identity : {std::string(kIdentity), std::string("kpm-unknown")}) {
    SCOPED_TRACE(identity);
    AsyncServer server(resolver, identity);
    ASSERT_NE(server.session, nullptr);
    // The "event loop". The lookup answers only once the test tells it to, after Handshake has
    // returned kWantAsync: a Handshake that blocked on the lookup would never return.
    int paused_steps = 0;
    Step step;
    const absl::Time deadline = Deadline();
    for (;;) {
      step = server.session->Handshake();
      if (step == Step::kWantAsync) {
        ++paused_steps;
        EXPECT_TRUE(server.session->async_paused());
        resolver->AnswerAll();
        ASSERT_TRUE(server.TakeWakeup(deadline));
        continue;
      }
      if (step != Step::kWantRead && step != Step::kWantWrite) break;
      if (absl::Now() > deadline) break;
      pollfd p = {server.sv[0], static_cast<short>(step == Step::kWantRead ? POLLIN : POLLOUT), 0};
      poll(&p, 1, 20);
    }
    EXPECT_GE(paused_steps, 1);
    if (identity == kIdentity) {
      EXPECT_EQ(step, Step::kDone) << server.session->status();
      EXPECT_EQ(server.session->psk_lookup(), PskLookup::kFound);
      server.client_thread.join();
      EXPECT_EQ(server.client_step.load(), Step::kDone);
    } else {
      EXPECT_EQ(step, Step::kFailed);
      EXPECT_EQ(server.session->psk_lookup(), PskLookup::kNotFound);
    }
  }
  EXPECT_EQ(resolver->sync_calls.load(), 0);
  EXPECT_EQ(resolver->async_calls.load(), 2);
}

TEST(PskHandshakeTest, SessionClosedWhilePausedOnALookupDropsTheAnswer) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  AsyncServer server(resolver);
  ASSERT_NE(server.session, nullptr);
  ASSERT_EQ(server.PauseOnLookup(), Step::kWantAsync);
  server.session->Close();
  EXPECT_FALSE(server.session->async_paused());
  server.session->Close();  // idempotent
  server.session.reset();
  resolver->AnswerAll();  // the lookup answers later, into a dropped session
  resolver->JoinAnswers();
  EXPECT_EQ(server.Wakeups(), 0);
}

TEST(PskHandshakeTest, CloseWithoutAPausedLookupChangesNothing) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  AsyncServer server(resolver);
  ASSERT_NE(server.session, nullptr);
  server.session->Close();  // before any handshake step
  ASSERT_EQ(server.PauseOnLookup(), Step::kWantAsync);
  resolver->AnswerAll();
  ASSERT_TRUE(server.TakeWakeup(Deadline()));
  Step step = server.session->Handshake();
  const absl::Time deadline = Deadline();
  while ((step == Step::kWantRead || step == Step::kWantWrite) && absl::Now() < deadline) {
    pollfd p = {server.sv[0], static_cast<short>(step == Step::kWantRead ? POLLIN : POLLOUT), 0};
    poll(&p, 1, 20);
    step = server.session->Handshake();
  }
  EXPECT_EQ(step, Step::kDone) << server.session->status();
}

// A resolver that supports async but is used by a session without an async-ready callback (a
// server that drives handshakes itself) is asked synchronously.
TEST(PskHandshakeTest, AsyncResolverWithoutReadyCallbackIsAskedSynchronously) {
  auto resolver = std::make_shared<AsyncTestResolver>();
  absl::StatusOr<std::shared_ptr<const PskContext>> server_ctx =
      PskContext::NewServer(ServerOptions(), resolver);
  ASSERT_THAT(server_ctx, IsOk());
  StreamPair p(*server_ctx);
  ASSERT_TRUE(p.ok());
  std::thread worker([&] { (void)DriveToDone(p.server.get(), p.sv[0]); });
  (void)DriveToDone(p.client.get(), p.sv[1]);
  worker.join();
  EXPECT_EQ(resolver->sync_calls.load(), 1);
  EXPECT_EQ(resolver->async_calls.load(), 0);
}

TEST(PskHandshakeTest, HandshakeExpiryIsReportedToTheEventLoop) {
  auto server_ctx = Server(Transport::kTls, {}, "", absl::Milliseconds(200));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  absl::Time start = absl::Now();
  auto server = PskSession::NewStream(server_ctx, sv[0], start);
  ASSERT_THAT(server, IsOk());
  EXPECT_EQ((*server)->Handshake(), Step::kWantRead);
  EXPECT_FALSE((*server)->HandshakeExpired(start + absl::Milliseconds(100)));
  EXPECT_TRUE((*server)->HandshakeExpired(start + absl::Milliseconds(300)));
  EXPECT_EQ((*server)->Export(kBootstrapExporterLabel, 48).status().code(),
            absl::StatusCode::kFailedPrecondition);
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace tls
}  // namespace onem2m
