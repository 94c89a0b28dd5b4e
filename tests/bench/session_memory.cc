// session_memory: where the heap of one idle TLS-PSK server session goes (not a test).
//
// Opens --sessions socket pairs, runs the MEF's TLS 1.2 PSK handshake (the mandatory suite, the
// server context the MEF uses: common/tls/psk_context.h) over each pair in this one process, and
// reads glibc's heap in use (mallinfo2) between the steps, so each figure is the live bytes one
// server-side step adds, without allocator overhead or other threads mixed in:
//   - PskSession made (SSL_new, socket BIO, our wrapper), before any byte is read;
//   - half-open: the server has answered the ClientHello and waits for the client's flight;
//   - the handshake done, client sessions freed again, record buffers released (the idle state);
//   - the record buffers, when allocated again (what SSL_free_buffers saves).
// The rest of an idle MEF session (Session/StreamSession, the HTTP parser, the handler, timers,
// the epoll entry and the session map) is what `mef_load --idle_conns` measures above this.
//
//   bazel run -c opt //tests/bench:session_memory -- --sessions=2000
#include <malloc.h>
#include <openssl/async.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/process_defaults.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_resolver.h"
#include "common/tls/psk_session.h"

ABSL_FLAG(int, sessions, 2000, "Session pairs to open.");
ABSL_FLAG(bool, async_lookup, true,
          "Look the PSK up through the asynchronous path (an OpenSSL ASYNC job), as the MEF does.");

namespace onem2m {
namespace {

int64_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

struct Pair {
  int fds[2] = {-1, -1};
  std::unique_ptr<tls::PskSession> client;
  std::unique_ptr<tls::PskSession> server;
};

void PrintStep(const char* what, int64_t before, int64_t after, int n) {
  std::printf("%-52s %8.0f bytes per session\n", what, static_cast<double>(after - before) / n);
}

int Main() {
  const int n = absl::GetFlag(FLAGS_sessions);
  const SecretBytes key = SecretBytes::Random(32);
  tls::ServerOptions so;
  so.required_server_name = "mef.local";
  // A resolver that has every answer at hand (like a cache hit), asynchronous or not.
  class AtHand : public tls::PskResolver {
   public:
    explicit AtHand(const SecretBytes& key) : key_(key) {}
    absl::StatusOr<tls::ResolvedPsk> Resolve(absl::string_view) override {
      return SecretBytes::Copy(key_.Reveal());
    }
    bool SupportsAsync() const override { return absl::GetFlag(FLAGS_async_lookup); }

   private:
    const SecretBytes& key_;
  };
  auto resolver = std::make_shared<AtHand>(key);
  if (absl::GetFlag(FLAGS_async_lookup)) (void)ASYNC_init_thread(64, 0);
  auto server_ctx = tls::PskContext::NewServer(so, resolver);
  tls::ClientOptions co;
  co.psk_identity = "session-memory";
  co.psk = SecretBytes::Copy(key.Reveal());
  co.server_name = "mef.local";
  auto client_ctx = tls::PskContext::NewClient(co);
  if (!server_ctx.ok() || !client_ctx.ok()) {
    std::fprintf(stderr, "contexts: %s %s\n", server_ctx.status().ToString().c_str(),
                 client_ctx.status().ToString().c_str());
    return 1;
  }
  std::vector<Pair> pairs(n);
  const int64_t h_start = HeapInUse();
  for (Pair& p : pairs) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p.fds) != 0) {
      std::perror("socketpair (raise ulimit -n)");
      return 1;
    }
    p.client = *tls::PskSession::NewStream(*client_ctx, p.fds[0], absl::Now());
  }
  const int64_t h0 = HeapInUse();
  for (Pair& p : pairs) {
    p.server = *tls::PskSession::NewStream(*server_ctx, p.fds[1], absl::Now());
    p.server->EnableAsyncLookup([] {});  // answers are at hand: a pause resumes at once
  }
  const int64_t h1 = HeapInUse();
  // One step each: the client sends its ClientHello, the server answers with its flight and waits
  // for the client's (kWantRead): a half-open handshake, record buffers released.
  for (Pair& p : pairs) (void)p.client->Handshake();
  const int64_t h_hello = HeapInUse();
  for (Pair& p : pairs) (void)p.server->Handshake();
  const int64_t h_half = HeapInUse();
  int done = 0;
  for (int round = 0; round < 20 && done < n; ++round) {
    done = 0;
    for (Pair& p : pairs) {
      tls::Step c = p.client->Handshake();
      tls::Step s = p.server->Handshake();
      if (s == tls::Step::kWantAsync) s = p.server->Handshake();
      if (c == tls::Step::kFailed || s == tls::Step::kFailed) {
        std::fprintf(stderr, "handshake failed: %s %s\n", p.client->status().ToString().c_str(),
                     p.server->status().ToString().c_str());
        return 1;
      }
      if (c == tls::Step::kDone && s == tls::Step::kDone) ++done;
    }
  }
  if (done < n) {
    std::fprintf(stderr, "only %d of %d handshakes finished\n", done, n);
    return 1;
  }
  for (Pair& p : pairs) p.client.reset();
  const int64_t h2 = HeapInUse();  // servers only: the clients' heap is all freed again
  // The first Read after the handshake finds nothing and releases the buffers it allocated, as
  // StreamSession::ReadRequests does right after CompleteHandshake.
  // The MEF exports Ke right after the handshake (docs/protocol.md 3).
  for (Pair& p : pairs) {
    (void)p.server->Export(tls::kBootstrapExporterLabel, tls::kBootstrapExporterLen);
  }
  const int64_t h_export = HeapInUse();
  static char buf[16 * 1024];  // StreamSession::ReadRequests reads 16 KiB chunks
  for (Pair& p : pairs) {
    size_t got = 0;
    (void)p.server->Read(buf, sizeof(buf), &got);
  }
  const int64_t h_read = HeapInUse();
  for (Pair& p : pairs) SSL_alloc_buffers(p.server->ssl());
  const int64_t h3 = HeapInUse();
  for (Pair& p : pairs) p.server->ReleaseBuffers();
  const int64_t h4 = HeapInUse();
  std::printf("session_memory: %d TLS 1.2 PSK sessions (%s), heap in use (glibc mallinfo2)\n", n,
              pairs[0].server->cipher_name().c_str());
  PrintStep("PskSession made (SSL_new, socket BIO, wrapper)", h0, h1, n);
  PrintStep("half-open: ClientHello answered, waiting", h0 - (h_half - h_hello), h1, n);
  PrintStep("idle after handshake (buffers released)", h_start, h2, n);
  PrintStep("  of which handshake leftovers (keys, SSL_SESSION)", h_start + (h1 - h0), h2, n);
  PrintStep("  keying material export leaves", h2, h_export, n);
  PrintStep("  first Read (nothing to read) leaves", h_export, h_read, n);
  PrintStep("record buffers if kept (SSL_alloc_buffers)", h_read, h3, n);
  PrintStep("released again (SSL_free_buffers)", h_read, h4, n);
  std::printf("sizeof(PskSession) %zu bytes\n", sizeof(tls::PskSession));
  for (Pair& p : pairs) {
    p.server.reset();
    close(p.fds[0]);
    close(p.fds[1]);
  }
  return 0;
}

}  // namespace
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  absl::ParseCommandLine(argc, argv);
  return onem2m::Main();
}
