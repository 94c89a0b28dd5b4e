// MtlsHttpServer over real TLS on loopback: a client certificate is required, requests reach the
// handler with the certificate's DNS names, and bad input, silent clients and too many
// connections are handled without reaching the handler or crashing.
#include "mef/spec_fetch/mtls_http_server.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/net/socket_util.h"
#include "common/openssl_util.h"
#include "common/testing/test_pki.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace mef {
namespace {

using ::onem2m::testing::TestPki;

std::string Dir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp != nullptr ? tmp : "/tmp";
}

// Client is a blocking TLS client for the tests.
class Client {
 public:
  // Connect opens TLS to 127.0.0.1:port; `leaf` null means no client certificate.
  static std::unique_ptr<Client> Connect(int port, const TestPki& pki, const TestPki::Leaf* leaf,
                                         bool* out_handshake_ok) {
    std::signal(SIGPIPE, SIG_IGN);  // a refused connection must not kill the test
    auto c = std::unique_ptr<Client>(new Client);
    net::SocketAddress addr = *net::ParseHostPort(absl::StrCat("127.0.0.1:", port));
    absl::StatusOr<int> fd =
        net::ConnectWithDeadline(addr, SOCK_STREAM, absl::Now() + absl::Seconds(5));
    if (!fd.ok()) return nullptr;
    c->fd_ = *fd;
    timeval tv{5, 0};
    setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    c->ctx_.reset(SSL_CTX_new(TLS_client_method()));
    BIO* ca = BIO_new_mem_buf(pki.ca_pem().data(), static_cast<int>(pki.ca_pem().size()));
    X509* ca_cert = PEM_read_bio_X509(ca, nullptr, nullptr, nullptr);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx_.get()), ca_cert);
    X509_free(ca_cert);
    BIO_free(ca);
    SSL_CTX_set_verify(c->ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (leaf != nullptr) {
      BIO* cb = BIO_new_mem_buf(leaf->cert_pem.data(), static_cast<int>(leaf->cert_pem.size()));
      X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      BIO* kb = BIO_new_mem_buf(leaf->key_pem.data(), static_cast<int>(leaf->key_pem.size()));
      EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      SSL_CTX_use_certificate(c->ctx_.get(), cert);
      SSL_CTX_use_PrivateKey(c->ctx_.get(), key);
      X509_free(cert);
      EVP_PKEY_free(key);
      BIO_free(cb);
      BIO_free(kb);
    }
    c->ssl_.reset(SSL_new(c->ctx_.get()));
    SSL_set_fd(c->ssl_.get(), c->fd_);
    SSL_set_tlsext_host_name(c->ssl_.get(), "localhost");
    SSL_set1_host(c->ssl_.get(), "localhost");
    *out_handshake_ok = SSL_connect(c->ssl_.get()) == 1;
    return c;
  }
  ~Client() {
    ssl_.reset();
    if (fd_ >= 0) close(fd_);
  }

  bool Send(const std::string& bytes) {
    size_t n = 0;
    return SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &n) == 1 && n == bytes.size();
  }
  // ReadUntilClose returns everything until the server closes (or 5 s pass).
  std::string ReadUntilClose() {
    std::string out;
    char buf[4096];
    size_t n = 0;
    while (SSL_read_ex(ssl_.get(), buf, sizeof(buf), &n) == 1) out.append(buf, n);
    return out;
  }
  // ReadResponse reads until `out` holds a complete response with a body of Content-Length.
  std::string ReadOneResponse() {
    std::string out;
    char buf[4096];
    size_t n = 0;
    for (;;) {
      const size_t head_end = out.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t cl = out.find("Content-Length: ");
        const size_t len = cl == std::string::npos ? 0 : std::stoul(out.substr(cl + 16));
        if (out.size() >= head_end + 4 + len) return out;
      }
      if (SSL_read_ex(ssl_.get(), buf, sizeof(buf), &n) != 1) return out;
      out.append(buf, n);
    }
  }

 private:
  Client() = default;
  int fd_ = -1;
  SslCtxPtr ctx_;
  SslPtr ssl_;
};

class MtlsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestPki::Leaf server = pki_.Issue("localhost");
    const std::string stem = Dir() + "/spec-fetch-server";
    ASSERT_TRUE(TestPki::WriteFile(stem + ".crt", server.cert_pem).ok());
    ASSERT_TRUE(TestPki::WriteFile(stem + ".key", server.key_pem).ok());
    ASSERT_TRUE(TestPki::WriteFile(stem + "-ca.crt", pki_.ca_pem()).ok());
    options_.tls = {stem + ".crt", stem + ".key", stem + "-ca.crt"};
  }

  void StartServer() {
    auto s = MtlsHttpServer::Create(
        "127.0.0.1:0", options_,
        [this](const http::HttpRequest& r, const std::vector<std::string>& names) {
          ++handled_;
          http::HttpResponse out;
          out.status = 200;
          out.body = absl::StrCat(r.method, " ", r.target, " by ", absl::StrJoin(names, ","));
          return out;
        });
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    server_->Start();
  }

  TestPki pki_ = TestPki::Create();
  MtlsHttpServer::Options options_;
  std::unique_ptr<MtlsHttpServer> server_;
  std::atomic<int> handled_{0};
};

TEST_F(MtlsHttpServerTest, RequestsReachTheHandlerWithTheCertificateNames) {
  StartServer();
  TestPki::Leaf leaf = pki_.Issue("cse.example.com");
  bool ok = false;
  auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
  ASSERT_TRUE(c != nullptr && ok);
  // Two requests on one connection (keep-alive), the second asking to close.
  ASSERT_TRUE(c->Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string first = c->ReadOneResponse();
  EXPECT_TRUE(absl::StartsWith(first, "HTTP/1.1 200")) << first;
  EXPECT_TRUE(absl::EndsWith(first, "GET /a by cse.example.com")) << first;
  ASSERT_TRUE(c->Send("GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string second = c->ReadUntilClose();
  EXPECT_TRUE(absl::EndsWith(second, "GET /b by cse.example.com")) << second;
  EXPECT_EQ(handled_, 2);
}

TEST_F(MtlsHttpServerTest, NoClientCertificateNoHandshake) {
  StartServer();
  bool ok = true;
  auto c = Client::Connect(server_->port(), pki_, nullptr, &ok);
  ASSERT_NE(c, nullptr);
  // TLS 1.3 reports the refusal on the first read; either way nothing is served.
  if (ok) {
    c->Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c->ReadUntilClose(), "");
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(MtlsHttpServerTest, CertificateFromAnotherCaIsRefused) {
  StartServer();
  TestPki other = TestPki::Create("other ca");
  TestPki::Leaf leaf = other.Issue("cse.example.com");
  bool ok = true;
  auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
  ASSERT_NE(c, nullptr);
  if (ok) {
    c->Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c->ReadUntilClose(), "");
  }
  EXPECT_EQ(handled_, 0);
}

// Renewal without a restart: new handshakes use renewed files (here a whole new CA), a broken
// renewal is refused and counted while the last good files stay in use.
TEST_F(MtlsHttpServerTest, RenewedCertificateFilesAreUsedWithoutARestart) {
  options_.reload_interval = absl::ZeroDuration();
  StartServer();
  TestPki::Leaf old_client = pki_.Issue("cse.example.com");
  bool ok = false;
  ASSERT_NE(Client::Connect(server_->port(), pki_, &old_client, &ok), nullptr);
  EXPECT_TRUE(ok);

  TestPki renewed = TestPki::Create("renewed ca");
  TestPki::Leaf server = renewed.Issue("localhost");
  ASSERT_TRUE(TestPki::WriteFile(options_.tls.cert_file, server.cert_pem).ok());
  ASSERT_TRUE(TestPki::WriteFile(options_.tls.key_file, server.key_pem).ok());
  ASSERT_TRUE(TestPki::WriteFile(options_.tls.ca_file, renewed.ca_pem()).ok());
  TestPki::Leaf new_client = renewed.Issue("cse.example.com");
  ok = false;
  auto c = Client::Connect(server_->port(), renewed, &new_client, &ok);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(ok) << "the renewed server certificate and CA are used";
  ASSERT_TRUE(c->Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(c->ReadOneResponse().find("by cse.example.com"), std::string::npos);
  EXPECT_EQ(server_->reloads(), 1);
  ok = true;
  auto refused = Client::Connect(server_->port(), renewed, &old_client, &ok);
  if (ok && refused != nullptr) {  // TLS 1.3 reports the refusal on the first read
    refused->Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(refused->ReadUntilClose(), "") << "a client of the retired CA is refused";
  }

  ASSERT_TRUE(TestPki::WriteFile(options_.tls.key_file, "-----BEGIN PRIVATE KEY-----\nbroken\n").ok());
  ok = false;
  ASSERT_NE(Client::Connect(server_->port(), renewed, &new_client, &ok), nullptr);
  EXPECT_TRUE(ok) << "a broken renewal keeps the last good files";
  EXPECT_EQ(server_->reload_errors(), 1);
  EXPECT_EQ(server_->reloads(), 1);
}

TEST_F(MtlsHttpServerTest, MalformedAndOversizedRequestsGetTheParserStatusAndClose) {
  StartServer();
  TestPki::Leaf leaf = pki_.Issue("cse.example.com");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"NOT HTTP AT ALL\r\n\r\n", "HTTP/1.1 400"},
      {std::string("GET /a HTTP/1.1\r\nX: ") + std::string(20000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431"},
      {"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 411"},
      {std::string("GET /a HTTP/1.1\r\n\0\r\n\r\n", 21), "HTTP/1.1 400"},
  };
  for (const auto& [bytes, want] : cases) {
    SCOPED_TRACE(want);
    bool ok = false;
    auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
    ASSERT_TRUE(c != nullptr && ok);
    c->Send(bytes);
    EXPECT_TRUE(absl::StartsWith(c->ReadUntilClose(), want));
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(MtlsHttpServerTest, SilentClientIsDroppedAtTheDeadline) {
  options_.connection_deadline = absl::Milliseconds(300);
  StartServer();
  TestPki::Leaf leaf = pki_.Issue("cse.example.com");
  bool ok = false;
  auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
  ASSERT_TRUE(c != nullptr && ok);
  const absl::Time start = absl::Now();
  c->Send("GET /a HTTP/1.1\r\n");  // never finished
  EXPECT_EQ(c->ReadUntilClose(), "");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  EXPECT_EQ(handled_, 0);
}

TEST_F(MtlsHttpServerTest, ConnectionsBeyondTheCapAreClosedAtOnce) {
  options_.max_connections = 2;
  options_.connection_deadline = absl::Seconds(5);
  StartServer();
  TestPki::Leaf leaf = pki_.Issue("cse.example.com");
  bool ok = false;
  auto a = Client::Connect(server_->port(), pki_, &leaf, &ok);
  ASSERT_TRUE(ok);
  auto b = Client::Connect(server_->port(), pki_, &leaf, &ok);
  ASSERT_TRUE(ok);
  auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
  EXPECT_FALSE(ok);
  EXPECT_GE(server_->connections_refused_at_cap(), 1);
  // The held connections still work.
  ASSERT_TRUE(a->Send("GET /a HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(a->ReadUntilClose(), "HTTP/1.1 200"));
}

TEST_F(MtlsHttpServerTest, StopEndsOpenConnections) {
  options_.connection_deadline = absl::Seconds(30);
  StartServer();
  TestPki::Leaf leaf = pki_.Issue("cse.example.com");
  bool ok = false;
  auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
  ASSERT_TRUE(ok);
  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(c->ReadUntilClose(), "");
}

TEST_F(MtlsHttpServerTest, RandomBytesNeverCrashTheServer) {
  StartServer();
  TestPki::Leaf leaf = pki_.Issue("cse.example.com");
  // Raw garbage before any TLS, then garbage inside TLS.
  for (int i = 0; i < 5; ++i) {
    net::SocketAddress addr = *net::ParseHostPort(absl::StrCat("127.0.0.1:", server_->port()));
    absl::StatusOr<int> fd =
        net::ConnectWithDeadline(addr, SOCK_STREAM, absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(fd.ok());
    std::string junk(1000 + i * 777, static_cast<char>(0x16 + i));
    (void)!write(*fd, junk.data(), junk.size());
    close(*fd);
  }
  uint32_t seed = 12345;
  for (int i = 0; i < 20; ++i) {
    bool ok = false;
    auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
    ASSERT_TRUE(c != nullptr && ok);
    std::string junk(1 + i * 97, '\0');
    for (char& ch : junk) {
      seed = seed * 1103515245 + 12345;
      ch = static_cast<char>(seed >> 24);
    }
    c->Send(junk);
  }
  // Still serving.
  bool ok = false;
  auto c = Client::Connect(server_->port(), pki_, &leaf, &ok);
  ASSERT_TRUE(c != nullptr && ok);
  ASSERT_TRUE(c->Send("GET /z HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(c->ReadUntilClose(), "HTTP/1.1 200"));
}

}  // namespace
}  // namespace mef
}  // namespace onem2m
