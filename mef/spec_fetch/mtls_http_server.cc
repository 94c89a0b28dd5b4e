#include "mef/spec_fetch/mtls_http_server.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http/request_parser.h"
#include "common/http/serializer.h"
#include "common/log/logger.h"
#include "common/net/socket_util.h"
#include "common/read_file.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace mef {
namespace {

// SetIoTimeout makes the blocking socket's reads and writes give up at `deadline` (at least 1 ms
// from now, so a passed deadline fails the next I/O at once rather than blocking forever).
void SetIoTimeout(int fd, absl::Time deadline) {
  absl::Duration left = std::max(deadline - absl::Now(), absl::Milliseconds(1));
  timeval tv = absl::ToTimeval(left);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// WriteAll writes `bytes` over TLS before `deadline`; false on any failure.
bool WriteAll(SSL* ssl, int fd, absl::string_view bytes, absl::Time deadline) {
  while (!bytes.empty()) {
    if (absl::Now() >= deadline) return false;
    SetIoTimeout(fd, deadline);
    size_t written = 0;
    if (SSL_write_ex(ssl, bytes.data(), bytes.size(), &written) != 1) return false;
    bytes.remove_prefix(written);
  }
  return true;
}

// WantsClose is true when the request asks for the connection to end after the answer.
bool WantsClose(const http::HttpRequest& request) {
  const std::string* connection = http::FindHeader(request.headers, "Connection");
  return connection != nullptr && absl::EqualsIgnoreCase(*connection, "close");
}

http::HttpResponse PlainError(int status) {
  http::HttpResponse r;
  r.status = status;
  r.headers = {{"Connection", "close"}};
  return r;
}

// LingerClose half-closes `fd` and discards what the client is still sending (at most 256 KiB, at
// most 500 ms, never past `deadline`), so an early error answer is not destroyed by a TCP reset
// when the client's unread request bytes reach a closed socket.
void LingerClose(int fd, absl::Time deadline) {
  shutdown(fd, SHUT_WR);
  const absl::Time until = std::min(deadline, absl::Now() + absl::Milliseconds(500));
  char buf[4096];
  for (size_t total = 0; total < 256 * 1024 && absl::Now() < until;) {
    SetIoTimeout(fd, until);
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    total += static_cast<size_t>(n);
  }
}

}  // namespace

std::vector<std::string> PeerCertificateDnsNames(SSL* ssl) {
  std::vector<std::string> out;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return out;
  GENERAL_NAMES* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS) continue;
    const ASN1_STRING* dns = name->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                     static_cast<size_t>(ASN1_STRING_length(dns)));
  }
  GENERAL_NAMES_free(names);
  return out;
}

// NewServerContext builds the TLS context from the certificate, key and CA files.
absl::StatusOr<SslCtxPtr> NewServerContext(const grpcutil::TlsFiles& files) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // One answer per request, no renegotiation games, no session tickets to manage.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("certificate ", files.cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("private key ", files.key_file));
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca_file.c_str(), nullptr) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("CA file ", files.ca_file));
  }
  // Mutual TLS: no verified client certificate, no handshake.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

// FilesDigest is the SHA-256 of the three files' contents, to notice a renewal.
absl::StatusOr<std::string> FilesDigest(const grpcutil::TlsFiles& files) {
  std::string all;
  for (const std::string* path : {&files.cert_file, &files.key_file, &files.ca_file}) {
    absl::StatusOr<std::string> data = ReadFile(*path);
    if (!data.ok()) return data.status();
    absl::StrAppend(&all, data->size(), ":", *data);
    WipeString(&*data);
  }
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(all.data()), all.size(), md);
  WipeString(&all);
  return std::string(reinterpret_cast<const char*>(md), sizeof(md));
}

absl::StatusOr<std::unique_ptr<MtlsHttpServer>> MtlsHttpServer::Create(const std::string& address,
                                                                       Options options,
                                                                       Handler handler) {
  if (!handler) return absl::InvalidArgumentError("https fetch server needs a handler");
  if (options.max_connections < 1 || options.max_requests_per_connection < 1 ||
      options.connection_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "max_connections, max_requests_per_connection and connection_deadline must be positive");
  }
  absl::StatusOr<SslCtxPtr> ctx = NewServerContext(options.tls);
  if (!ctx.ok()) return ctx.status();
  absl::StatusOr<std::string> digest = FilesDigest(options.tls);
  if (!digest.ok()) return digest.status();

  absl::StatusOr<net::SocketAddress> addr = net::ParseHostPort(address);
  if (!addr.ok()) return addr.status();
  absl::StatusOr<int> fd = net::ListenTcp(*addr, /*reuse_port=*/false, /*backlog=*/128);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<net::SocketAddress> bound = net::LocalAddress(*fd);
  if (!bound.ok()) {
    close(*fd);
    return bound.status();
  }
  auto server = std::unique_ptr<MtlsHttpServer>(new MtlsHttpServer(
      std::move(options), std::move(handler), std::move(*ctx), *fd, bound->port()));
  server->loaded_digest_ = *std::move(digest);
  server->checked_at_ = absl::Now();
  return server;
}

MtlsHttpServer::MtlsHttpServer(Options options, Handler handler, SslCtxPtr ctx, int listen_fd,
                               int port)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      ctx_(std::shared_ptr<SSL_CTX>(ctx.release(), SSL_CTX_free)),
      listen_fd_(listen_fd),
      port_(port) {
  if (pipe(wake_fds_) != 0) wake_fds_[0] = wake_fds_[1] = -1;
}

MtlsHttpServer::~MtlsHttpServer() {
  Stop();
  close(listen_fd_);
  if (wake_fds_[0] >= 0) close(wake_fds_[0]);
  if (wake_fds_[1] >= 0) close(wake_fds_[1]);
}

void MtlsHttpServer::Start() {
  // OpenSSL writes sockets with write(2): a client that closes first would raise SIGPIPE and kill
  // the process. Errors come back as EPIPE instead (as gRPC and common/psk_server do).
  std::signal(SIGPIPE, SIG_IGN);
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

void MtlsHttpServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    // Unblock every connection thread's read or write; each then closes its own fd.
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  if (wake_fds_[1] >= 0) {
    const char byte = 0;
    (void)!write(wake_fds_[1], &byte, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::map<int64_t, std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(threads_);
    finished_.clear();
  }
  for (auto& [id, t] : threads) t.join();
}

void MtlsHttpServer::Reap() {
  std::vector<std::thread> done;
  {
    absl::MutexLock lock(&mu_);
    for (int64_t id : finished_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      done.push_back(std::move(it->second));
      threads_.erase(it);
    }
    finished_.clear();
  }
  for (std::thread& t : done) t.join();
}

void MtlsHttpServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    const int n = poll(fds, wake_fds_[0] >= 0 ? 2 : 1, wake_fds_[0] >= 0 ? -1 : 100);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    Reap();
    if (n <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN (another wake-up took it), ECONNABORTED, EMFILE: keep going
    absl::MutexLock lock(&mu_);
    if (stopping_ || active_ >= options_.max_connections) {
      ++refused_;
      close(fd);
      continue;
    }
    ++active_;
    open_fds_.insert(fd);
    const int64_t id = next_thread_id_++;
    threads_.emplace(id, std::thread([this, fd, id] { Serve(fd, id); }));
  }
}

std::shared_ptr<SSL_CTX> MtlsHttpServer::CurrentContext() {
  absl::MutexLock l(&ctx_mu_);
  const absl::Time now = absl::Now();
  if (now - checked_at_ < options_.reload_interval) return ctx_;
  checked_at_ = now;
  // cert-manager renews the Secret's files in place: a new handshake picks the new ones up, and
  // connections already open keep the context they started with (SSL_new holds a reference).
  absl::StatusOr<std::string> digest = FilesDigest(options_.tls);
  if (!digest.ok() || *digest == loaded_digest_ || *digest == rejected_digest_) return ctx_;
  absl::StatusOr<SslCtxPtr> fresh = NewServerContext(options_.tls);
  if (!fresh.ok()) {
    // A broken or half-written renewal: keep serving with the files loaded before.
    rejected_digest_ = *digest;
    ++reload_errors_;
    Log(Level::kError, "tls_files_rejected",
        {{"listener", "fetch_https"}, {"error", std::string(fresh.status().message())}});
    return ctx_;
  }
  ctx_ = std::shared_ptr<SSL_CTX>(fresh->release(), SSL_CTX_free);
  loaded_digest_ = *std::move(digest);
  ++reloads_;
  Log(Level::kInfo, "tls_files_reloaded", {{"listener", "fetch_https"}});
  return ctx_;
}

void MtlsHttpServer::Serve(int fd, int64_t id) {
  const absl::Time deadline = absl::Now() + options_.connection_deadline;
  SslPtr ssl(SSL_new(CurrentContext().get()));
  if (ssl != nullptr && SSL_set_fd(ssl.get(), fd) == 1) {
    SetIoTimeout(fd, deadline);
    if (SSL_accept(ssl.get()) == 1) {
      const std::vector<std::string> names = PeerCertificateDnsNames(ssl.get());
      if (!names.empty()) {
        Converse(ssl.get(), fd, deadline, names);
      } else {
        // Verified but without a DNS name: nobody to authorise. Refuse without a body.
        absl::StatusOr<std::string> bytes = http::SerializeResponse(PlainError(403));
        if (bytes.ok()) WriteAll(ssl.get(), fd, *bytes, deadline);
      }
      SSL_shutdown(ssl.get());
      LingerClose(fd, deadline);
    } else {
      ++handshake_failures_;
    }
  }
  ERR_clear_error();  // this thread's queue: failed handshakes leave entries
  ssl.reset();
  absl::MutexLock lock(&mu_);
  open_fds_.erase(fd);
  close(fd);
  --active_;
  finished_.push_back(id);
}

void MtlsHttpServer::Converse(SSL* ssl, int fd, absl::Time deadline,
                              const std::vector<std::string>& names) {
  http::RequestParser parser(options_.limits);
  std::string pending;  // bytes read but not yet fed (a pipelined next request)
  char buf[4096];
  for (int served = 0; served < options_.max_requests_per_connection;) {
    // Feed what is pending, reading more until one request is complete.
    absl::StatusOr<http::FeedResult> fed = parser.Feed(pending);
    while (fed.ok() && fed->state == http::ParseState::kNeedMore) {
      pending.clear();
      if (absl::Now() >= deadline) return;
      SetIoTimeout(fd, deadline);
      size_t got = 0;
      if (SSL_read_ex(ssl, buf, sizeof(buf), &got) != 1) return;  // closed, timed out or broken
      pending.assign(buf, got);
      fed = parser.Feed(pending);
    }
    if (!fed.ok()) {
      absl::StatusOr<std::string> bytes =
          http::SerializeResponse(PlainError(parser.error_http_status()));
      if (bytes.ok()) WriteAll(ssl, fd, *bytes, deadline);
      return;
    }
    pending.erase(0, fed->consumed);
    absl::StatusOr<http::HttpRequest> request = parser.TakeRequest();
    if (!request.ok()) return;
    ++served;
    const bool last = WantsClose(*request) || served >= options_.max_requests_per_connection;
    http::HttpResponse response = handler_(*request, names);
    if (last) response.headers.push_back({"Connection", "close"});
    absl::StatusOr<std::string> bytes = http::SerializeResponse(response);
    WipeString(&response.body);  // may hold a key (the handler's answer)
    if (!bytes.ok()) {
      Log(Level::kError, "https_fetch_bad_response", {{"status", bytes.status().ToString()}});
      return;
    }
    const bool sent = WriteAll(ssl, fd, *bytes, deadline);
    WipeString(&*bytes);
    if (!sent || last) return;
    parser.Reset();
  }
}

}  // namespace mef
}  // namespace onem2m
