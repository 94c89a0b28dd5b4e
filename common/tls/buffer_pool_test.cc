#include "common/tls/buffer_pool.h"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "common/secret_bytes.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"
#include "gtest/gtest.h"

namespace onem2m::tls::buffer_pool {
namespace {

constexpr size_t kPage = 4096;

bool PageAligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kPage == 0; }

// ResidentPages counts the resident pages of [p, p + len) (mincore).
size_t ResidentPages(void* p, size_t len) {
  std::vector<unsigned char> vec((len + kPage - 1) / kPage);
  if (mincore(p, len, vec.data()) != 0) return SIZE_MAX;
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

TEST(BufferPoolTest, InstalledBeforeOpenSslAllocated) { EXPECT_TRUE(Installed()); }

TEST(BufferPoolTest, InstallUnlessDisabledHonoursTheEnvironment) {
  // Installed already (main): installing again is a no-op that reports success, unless disabled.
  ASSERT_EQ(setenv("ONEM2M_OPENSSL_BUFFER_POOL", "off", 1), 0);
  EXPECT_EQ(InstallUnlessDisabled(), Outcome::kDisabled);
  ASSERT_EQ(setenv("ONEM2M_OPENSSL_BUFFER_POOL", "on", 1), 0);
  EXPECT_EQ(InstallUnlessDisabled(), Outcome::kInstalled);
  ASSERT_EQ(unsetenv("ONEM2M_OPENSSL_BUFFER_POOL"), 0);
  EXPECT_EQ(InstallUnlessDisabled(), Outcome::kInstalled);
  EXPECT_TRUE(Installed());
}

TEST(BufferPoolTest, OnePageAndLargeBuffersTakeWholePages) {
  const int64_t before = BytesInUse();
  void* page = OPENSSL_malloc(kPage);
  void* large = OPENSSL_malloc(21848);  // OpenSSL 3.0's handshake message buffer
  ASSERT_NE(page, nullptr);
  ASSERT_NE(large, nullptr);
  EXPECT_TRUE(PageAligned(page));
  EXPECT_TRUE(PageAligned(large));
  EXPECT_EQ(BytesInUse() - before, static_cast<int64_t>(kPage + 6 * kPage));
  OPENSSL_free(page);
  OPENSSL_free(large);
  EXPECT_EQ(BytesInUse(), before);
}

TEST(BufferPoolTest, SmallAndSslObjectSizesStayWithMalloc) {
  const int64_t before = BytesInUse();
  void* small = OPENSSL_malloc(100);
  void* ssl_sized = OPENSSL_zalloc(7600);  // an SSL object: zero-filled whole, kept when idle
  void* huge = OPENSSL_malloc((kMaxPages + 1) * kPage);
  ASSERT_NE(small, nullptr);
  ASSERT_NE(ssl_sized, nullptr);
  ASSERT_NE(huge, nullptr);
  EXPECT_EQ(BytesInUse(), before);
  OPENSSL_free(small);
  OPENSSL_free(ssl_sized);
  OPENSSL_free(huge);
}

TEST(BufferPoolTest, ReallocKeepsContentsAcrossClasses) {
  auto* p = static_cast<unsigned char*>(OPENSSL_malloc(100));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 100; ++i) p[i] = static_cast<unsigned char>(i);
  p = static_cast<unsigned char*>(OPENSSL_realloc(p, 3 * kPage));  // malloc -> pool
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(PageAligned(p));
  p[3 * kPage - 1] = 0xAB;
  p = static_cast<unsigned char*>(OPENSSL_realloc(p, 3 * kPage - 10));  // same class: stays
  ASSERT_NE(p, nullptr);
  p = static_cast<unsigned char*>(OPENSSL_realloc(p, 5 * kPage));  // pool -> pool
  ASSERT_NE(p, nullptr);
  p = static_cast<unsigned char*>(OPENSSL_realloc(p, 50));  // pool -> malloc
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(p[i], i) << i;
  OPENSSL_free(p);
}

TEST(BufferPoolTest, TrimReleasesFreeSlotsAndUntouchedPagesStayOut) {
  constexpr int kBuffers = 32;
  std::vector<unsigned char*> buffers;
  for (int i = 0; i < kBuffers; ++i) {
    auto* b = static_cast<unsigned char*>(OPENSSL_malloc(6 * kPage));
    ASSERT_NE(b, nullptr);
    memset(b, 0x5A, 4 * kPage);  // as OpenSSL zero-fills 16 KiB of its message buffer
    EXPECT_EQ(ResidentPages(b, 6 * kPage), 4u);  // the two pages never written cost nothing
    buffers.push_back(b);
  }
  for (unsigned char* b : buffers) OPENSSL_free(b);
  EXPECT_GE(Trim(), static_cast<int64_t>(kBuffers * 6 * kPage));
  for (unsigned char* b : buffers) EXPECT_EQ(ResidentPages(b, 6 * kPage), 0u);
  // A slot handed out again after the trim reads as fresh memory.
  auto* again = static_cast<unsigned char*>(OPENSSL_malloc(6 * kPage));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again[0], 0);
  OPENSSL_free(again);
}

class FixedKey : public PskResolver {
 public:
  explicit FixedKey(const SecretBytes& key) : key_(key) {}
  absl::StatusOr<ResolvedPsk> Resolve(absl::string_view) override {
    return SecretBytes::Copy(key_.Reveal());
  }

 private:
  const SecretBytes& key_;
};

// OpenSSL runs whole handshakes and records on the pool's buffers.
TEST(BufferPoolTest, TlsPskHandshakeAndDataOverThePool) {
  const SecretBytes key = SecretBytes::Random(32);
  ServerOptions so;
  auto server_ctx = PskContext::NewServer(so, std::make_shared<FixedKey>(key));
  ClientOptions co;
  co.psk_identity = "buffer-pool";
  co.psk = SecretBytes::Copy(key.Reveal());
  auto client_ctx = PskContext::NewClient(co);
  ASSERT_TRUE(server_ctx.ok()) << server_ctx.status();
  ASSERT_TRUE(client_ctx.ok()) << client_ctx.status();
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  auto client = PskSession::NewStream(*client_ctx, fds[0], absl::Now());
  auto server = PskSession::NewStream(*server_ctx, fds[1], absl::Now());
  ASSERT_TRUE(client.ok() && server.ok());
  const int64_t before = BytesInUse();
  Step c = Step::kWantRead, s = Step::kWantRead;
  for (int i = 0; i < 20 && (c != Step::kDone || s != Step::kDone); ++i) {
    if (c != Step::kDone) c = (*client)->Handshake();
    if (s != Step::kDone) s = (*server)->Handshake();
    ASSERT_NE(c, Step::kFailed) << (*client)->status();
    ASSERT_NE(s, Step::kFailed) << (*server)->status();
  }
  ASSERT_EQ(c, Step::kDone);
  ASSERT_EQ(s, Step::kDone);
  size_t written = 0;
  ASSERT_EQ((*client)->Write("ping over pooled buffers", &written), Step::kDone);
  char buf[64];
  size_t got = 0;
  ASSERT_EQ((*server)->Read(buf, sizeof(buf), &got), Step::kDone);
  EXPECT_EQ(std::string(buf, got), "ping over pooled buffers");
  client->reset();
  server->reset();
  EXPECT_LE(BytesInUse(), before);  // every pooled buffer of both sessions went back
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace onem2m::tls::buffer_pool

int main(int argc, char** argv) {
  // As in the servers' mains: before anything makes OpenSSL allocate.
  const bool installed = onem2m::tls::buffer_pool::Install();
  testing::InitGoogleTest(&argc, argv);
  if (!installed) std::fprintf(stderr, "buffer pool not installed\n");
  return RUN_ALL_TESTS();
}
