// A resolver's answer carries the key's context into the session's own state
// (PskResolver, ResolvedPsk::context; PskSession::psk_context): two concurrent handshakes that
// present the same identity each get the context of their own lookup, whatever order the lookups
// are answered in; a session whose key was not found keeps none.
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

constexpr char kIdentity[] = "kpm-0001";

SecretBytes Key() { return SecretBytes::Copy(std::string(32, 'k')); }

// Tag is a resolver's context: which lookup produced the key.
struct Tag final : PskKeyContext {
  explicit Tag(int n) : lookup(n) {}
  const int lookup;
};

// Other is a context of another resolver's type.
struct Other final : PskKeyContext {};

// HeldResolver keeps every asynchronous lookup until the test answers it.
class HeldResolver : public PskResolver {
 public:
  absl::StatusOr<ResolvedPsk> Resolve(absl::string_view) override {
    return absl::InternalError("the synchronous path must not be used");
  }
  bool SupportsAsync() const override { return true; }
  void ResolveAsync(absl::string_view identity, ResolveDone done) override {
    absl::MutexLock lock(&mu_);
    held_.push_back({std::string(identity), std::move(done)});
  }
  // Held returns the identities of the lookups held so far, in the order they were asked.
  std::vector<std::string> Held() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& h : held_) out.push_back(h.first);
    return out;
  }
  // Answer answers the i-th lookup.
  void Answer(size_t i, absl::StatusOr<ResolvedPsk> answer) {
    ResolveDone done;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(held_.at(i).second);
    }
    done(std::move(answer));
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, ResolveDone>> held_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<const PskContext> ClientContext(bool tls13) {
  ClientOptions options;
  options.psk_identity = kIdentity;
  options.psk = Key();
  options.tls13.enabled = tls13;
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx = PskContext::NewClient(options);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

std::shared_ptr<const PskContext> ServerContext(std::shared_ptr<PskResolver> resolver, bool tls13) {
  ServerOptions options;
  options.tls13.enabled = tls13;
  absl::StatusOr<std::shared_ptr<const PskContext>> ctx =
      PskContext::NewServer(options, std::move(resolver));
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

// Drive steps `session` with poll() on `fd` until the handshake ends or pauses on a lookup
// (kWantAsync), or 10 s pass.
Step Drive(PskSession* session, int fd) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (;;) {
    Step step = session->Handshake();
    if (step != Step::kWantRead && step != Step::kWantWrite) return step;
    if (absl::Now() > deadline) return Step::kFailed;
    pollfd p = {fd, static_cast<short>(step == Step::kWantRead ? POLLIN : POLLOUT), 0};
    poll(&p, 1, 50);
  }
}

// Connection is a TLS server session with asynchronous lookups over one end of a socketpair and
// a client presenting kIdentity on the other, driven by its own thread.
struct Connection {
  Connection(const std::shared_ptr<const PskContext>& server_ctx, bool tls13) {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    auto s = PskSession::NewStream(server_ctx, sv[0], absl::Now());
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) server = *std::move(s);
    if (server != nullptr) server->EnableAsyncLookup([] {});
    client_thread = std::thread([this, tls13] {
      auto client = PskSession::NewStream(ClientContext(tls13), sv[1], absl::Now());
      if (client.ok()) client_step = Drive(client->get(), sv[1]);
    });
  }
  ~Connection() {
    shutdown(sv[0], SHUT_RDWR);
    if (client_thread.joinable()) client_thread.join();
    server.reset();
    close(sv[0]);
    close(sv[1]);
  }
  int sv[2] = {-1, -1};
  std::unique_ptr<PskSession> server;
  std::thread client_thread;
  Step client_step = Step::kFailed;
};

class PskKeyContextTest : public ::testing::TestWithParam<bool> {};

TEST_P(PskKeyContextTest, ConcurrentHandshakesWithOneIdentityEachKeepTheirOwnContext) {
  const bool tls13 = GetParam();
  auto resolver = std::make_shared<HeldResolver>();
  std::shared_ptr<const PskContext> server_ctx = ServerContext(resolver, tls13);
  ASSERT_NE(server_ctx, nullptr);
  Connection first(server_ctx, tls13);
  Connection second(server_ctx, tls13);
  ASSERT_NE(first.server, nullptr);
  ASSERT_NE(second.server, nullptr);

  // Both handshakes pause on a lookup of the same identity, at the same time.
  ASSERT_EQ(Drive(first.server.get(), first.sv[0]), Step::kWantAsync) << first.server->status();
  ASSERT_EQ(Drive(second.server.get(), second.sv[0]), Step::kWantAsync) << second.server->status();
  ASSERT_EQ(resolver->Held(), (std::vector<std::string>{kIdentity, kIdentity}));

  // Answered in the other order, each with its own context.
  resolver->Answer(1, ResolvedPsk(Key(), std::make_shared<Tag>(2)));
  resolver->Answer(0, ResolvedPsk(Key(), std::make_shared<Tag>(1)));
  ASSERT_EQ(Drive(second.server.get(), second.sv[0]), Step::kDone) << second.server->status();
  ASSERT_EQ(Drive(first.server.get(), first.sv[0]), Step::kDone) << first.server->status();
  first.client_thread.join();
  second.client_thread.join();
  EXPECT_EQ(first.client_step, Step::kDone);
  EXPECT_EQ(second.client_step, Step::kDone);

  std::shared_ptr<const Tag> first_tag = first.server->psk_context<Tag>();
  std::shared_ptr<const Tag> second_tag = second.server->psk_context<Tag>();
  ASSERT_NE(first_tag, nullptr);
  ASSERT_NE(second_tag, nullptr);
  EXPECT_EQ(first_tag->lookup, 1);
  EXPECT_EQ(second_tag->lookup, 2);
  EXPECT_EQ(first.server->psk_identity(), kIdentity);
  EXPECT_EQ(second.server->psk_identity(), kIdentity);
  // Read back only as the resolver's own type; taken once.
  EXPECT_EQ(first.server->psk_context<Other>(), nullptr);
  EXPECT_EQ(first.server->TakePskContext<Tag>(), first_tag);
  EXPECT_EQ(first.server->psk_context<Tag>(), nullptr);
  EXPECT_EQ(second.server->psk_context<Tag>(), second_tag);
}

TEST_P(PskKeyContextTest, NoContextWithoutAFoundKey) {
  const bool tls13 = GetParam();
  auto resolver = std::make_shared<HeldResolver>();
  std::shared_ptr<const PskContext> server_ctx = ServerContext(resolver, tls13);
  ASSERT_NE(server_ctx, nullptr);
  // A key of unusable length with a context: the dummy key is used and the context dropped.
  Connection short_key(server_ctx, tls13);
  ASSERT_EQ(Drive(short_key.server.get(), short_key.sv[0]), Step::kWantAsync);
  resolver->Answer(0, ResolvedPsk(SecretBytes::Copy("short"), std::make_shared<Tag>(1)));
  EXPECT_EQ(Drive(short_key.server.get(), short_key.sv[0]), Step::kFailed);
  EXPECT_EQ(short_key.server->psk_lookup(), PskLookup::kFailed);
  EXPECT_EQ(short_key.server->psk_context<Tag>(), nullptr);
  // A found key without a context.
  Connection bare(server_ctx, tls13);
  ASSERT_EQ(Drive(bare.server.get(), bare.sv[0]), Step::kWantAsync);
  resolver->Answer(1, Key());
  EXPECT_EQ(Drive(bare.server.get(), bare.sv[0]), Step::kDone) << bare.server->status();
  EXPECT_EQ(bare.server->psk_lookup(), PskLookup::kFound);
  EXPECT_EQ(bare.server->psk_context<Tag>(), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Versions, PskKeyContextTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Tls13" : "Tls12");
                         });

}  // namespace
}  // namespace tls
}  // namespace onem2m
