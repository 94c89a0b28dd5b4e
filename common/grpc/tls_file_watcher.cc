#include "common/grpc/tls_file_watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/logger.h"
#include "common/read_file.h"

namespace onem2m::grpcutil {
namespace {

absl::Mutex g_mu;
std::function<void(bool)>* g_observer ABSL_GUARDED_BY(g_mu) = nullptr;
absl::Duration g_interval ABSL_GUARDED_BY(g_mu) = absl::Seconds(60);
// Watchers live until exit (gRPC credentials made from them may too); staging dirs to remove.
std::map<std::string, std::shared_ptr<TlsFileWatcher>>* g_watchers ABSL_GUARDED_BY(g_mu) = nullptr;
std::vector<std::string>* g_staging_dirs ABSL_GUARDED_BY(g_mu) = nullptr;

// RemoveTree removes `dir`, its links and its generation sub-directories (no deeper).
void RemoveTree(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string path = dir + "/" + name;
      if (e->d_type == DT_DIR) {
        RemoveTree(path);
      } else {
        unlink(path.c_str());
      }
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

void RemoveStagingDirs() {
  // At exit: best effort, without the lock (another thread may hold it while the process ends).
  std::vector<std::string>* dirs = g_staging_dirs;
  if (dirs == nullptr) return;
  for (const std::string& d : *dirs) RemoveTree(d);
}

void Notify(bool ok) {
  std::function<void(bool)> observer;
  {
    absl::MutexLock lock(&g_mu);
    if (g_observer != nullptr) observer = *g_observer;
  }
  if (observer) observer(ok);
}

std::string Wiped(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
  s->clear();
  return "";
}

// ParseCertificates parses every PEM certificate in `pem`; InvalidArgument if one does not parse
// or there is none.
absl::Status ParseCertificates(const std::string& pem, absl::string_view what,
                               std::vector<X509*>* out) {
  size_t blocks = 0;
  for (size_t at = pem.find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
       at = pem.find("-----BEGIN CERTIFICATE-----", at + 1)) {
    ++blocks;
  }
  if (blocks == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate"));
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = nullptr;
  while ((x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) != nullptr) out->push_back(x);
  BIO_free(bio);
  ERR_clear_error();
  if (out->size() != blocks) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", blocks - out->size(), " of ", blocks,
                                                   " certificates do not parse"));
  }
  return absl::OkStatus();
}

absl::Status CheckPem(const TlsPem& pem, absl::Time now) {
  std::vector<X509*> cas;
  absl::Status s = ParseCertificates(pem.ca, "CA bundle", &cas);
  for (X509* x : cas) X509_free(x);
  if (!s.ok()) return s;
  if (pem.cert_chain.empty() && pem.private_key.empty()) return absl::OkStatus();
  std::vector<X509*> chain;
  s = ParseCertificates(pem.cert_chain, "certificate", &chain);
  if (s.ok()) {
    BIO* bio = BIO_new_mem_buf(pem.private_key.data(), static_cast<int>(pem.private_key.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) {
      s = absl::InvalidArgumentError("private key: does not parse");
    } else if (X509_check_private_key(chain[0], key) != 1) {
      s = absl::InvalidArgumentError("private key: does not match the certificate");
    } else {
      time_t t = absl::ToTimeT(now);
      if (X509_cmp_time(X509_get0_notAfter(chain[0]), &t) < 0) {
        s = absl::InvalidArgumentError("certificate: expired");
      }
    }
    EVP_PKEY_free(key);
    ERR_clear_error();
  }
  for (X509* x : chain) X509_free(x);
  return s;
}

std::string Digest(const TlsPem& pem) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const std::string* part : {&pem.cert_chain, &pem.private_key, &pem.ca}) {
    const std::string len = absl::StrCat(part->size(), ":");
    EVP_DigestUpdate(ctx, len.data(), len.size());
    EVP_DigestUpdate(ctx, part->data(), part->size());
  }
  EVP_DigestFinal_ex(ctx, md, nullptr);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<char*>(md), sizeof(md));
}

// Read reads the watched files into `pem`.
absl::Status Read(const TlsFiles& files, TlsPem* pem) {
  if (!files.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(files.cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(files.key_file);
    if (!key.ok()) return key.status();
    pem->cert_chain = std::move(*cert);
    pem->private_key = std::move(*key);
  }
  absl::StatusOr<std::string> ca = ReadFile(files.ca_file);
  if (!ca.ok()) return ca.status();
  pem->ca = std::move(*ca);
  return absl::OkStatus();
}

// MemFile puts `contents` in a new memfd whose modification time is `mtime` (seconds).
absl::StatusOr<int> MemFile(const char* name, const std::string& contents, time_t mtime) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = write(fd, contents.data() + off, contents.size() - off);
    if (n <= 0) {
      close(fd);
      return absl::InternalError(absl::StrCat("memfd write: ", std::strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  timespec times[2] = {{mtime, 0}, {mtime, 0}};
  futimens(fd, times);
  return fd;
}

}  // namespace

absl::Status ValidateTlsPem(const TlsPem& pem, absl::Time now) { return CheckPem(pem, now); }

void SetTlsReloadObserver(std::function<void(bool ok)> observer) {
  absl::MutexLock lock(&g_mu);
  delete g_observer;
  g_observer = observer ? new std::function<void(bool)>(std::move(observer)) : nullptr;
}

void SetTlsReloadInterval(absl::Duration interval) {
  absl::MutexLock lock(&g_mu);
  g_interval = std::max(interval, absl::Milliseconds(100));
}

absl::StatusOr<std::shared_ptr<TlsFileWatcher>> TlsFileWatcher::Get(const TlsFiles& files) {
  if (files.ca_file.empty()) return absl::InvalidArgumentError("tls_ca: required");
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError("tls_cert and tls_key go together");
  }
  const std::string key = absl::StrCat(files.cert_file, "\n", files.key_file, "\n", files.ca_file);
  absl::MutexLock lock(&g_mu);
  if (g_watchers == nullptr) {
    g_watchers = new std::map<std::string, std::shared_ptr<TlsFileWatcher>>();
    g_staging_dirs = new std::vector<std::string>();
    std::atexit(RemoveStagingDirs);
    std::at_quick_exit(RemoveStagingDirs);
  }
  TlsPem pem;
  absl::Status s = Read(files, &pem);
  // A watcher of the same files is shared while it serves what the files hold now. If they
  // changed since, new credentials get a watcher of their own, so they never start with stale
  // files (the old watcher keeps serving the credentials made from it).
  auto it = g_watchers->find(key);
  if (it != g_watchers->end() && s.ok()) {
    const std::string digest = Digest(pem);
    absl::MutexLock wl(&it->second->mu_);
    if (digest == it->second->published_digest_) {
      Wiped(&pem.private_key);
      return it->second;
    }
  }
  if (s.ok()) s = CheckPem(pem, absl::Now());
  if (!s.ok()) {
    Wiped(&pem.private_key);
    return s;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/onem2m-tls-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    Wiped(&pem.private_key);
    return absl::InternalError(absl::StrCat("staging directory: ", std::strerror(errno)));
  }
  g_staging_dirs->push_back(templ);
  std::shared_ptr<TlsFileWatcher> w(new TlsFileWatcher(files, templ, g_interval));
  {
    absl::MutexLock wl(&w->mu_);
    s = w->Publish(pem);
    w->published_digest_ = Digest(pem);
  }
  Wiped(&pem.private_key);
  if (!s.ok()) return s;
  const unsigned int secs = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(w->interval_, absl::Seconds(1)))));
  const std::string cur = templ + "/current/";
  if (w->has_identity()) {
    w->provider_ = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        cur + "key.pem", cur + "cert.pem", cur + "ca.pem", secs);
  } else {
    w->provider_ =
        std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(cur + "ca.pem", secs);
  }
  w->thread_ = std::thread([raw = w.get()] { raw->Run(); });
  (*g_watchers)[key] = w;
  return w;
}

TlsFileWatcher::TlsFileWatcher(TlsFiles files, std::string staging_dir, absl::Duration interval)
    : files_(std::move(files)), staging_dir_(std::move(staging_dir)), interval_(interval) {}

TlsFileWatcher::~TlsFileWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TlsFileWatcher::Run() {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping), interval_)) {
    mu_.Unlock();
    Poll();
    mu_.Lock();
  }
}

absl::Status TlsFileWatcher::Publish(const TlsPem& pem) {
  const int gen = ++generation_;
  const std::string dir = absl::StrCat(staging_dir_, "/g", gen);
  if (mkdir(dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("staging ", dir, ": ", std::strerror(errno)));
  }
  // Each generation's files get a later modification time than the previous one's, so gRPC's
  // reader, which re-reads when a time changes during its read, never pairs two generations.
  static time_t last_mtime = 0;
  const time_t mtime = std::max<time_t>(absl::ToTimeT(absl::Now()), last_mtime + 1);
  last_mtime = mtime;
  std::vector<std::pair<const char*, const std::string*>> parts = {{"ca.pem", &pem.ca}};
  if (has_identity()) {
    parts.push_back({"cert.pem", &pem.cert_chain});
    parts.push_back({"key.pem", &pem.private_key});
  }
  std::vector<int> fds;
  absl::Status s;
  for (const auto& [name, contents] : parts) {
    absl::StatusOr<int> fd = MemFile(name, *contents, mtime);
    if (!fd.ok()) {
      s = fd.status();
      break;
    }
    fds.push_back(*fd);
    const std::string link = absl::StrCat(dir, "/", name);
    if (symlink(absl::StrCat("/proc/self/fd/", *fd).c_str(), link.c_str()) != 0) {
      s = absl::InternalError(absl::StrCat("staging link: ", std::strerror(errno)));
      break;
    }
  }
  const std::string tmp_link = staging_dir_ + "/current.tmp";
  unlink(tmp_link.c_str());
  if (s.ok() && (symlink(absl::StrCat("g", gen).c_str(), tmp_link.c_str()) != 0 ||
                 rename(tmp_link.c_str(), (staging_dir_ + "/current").c_str()) != 0)) {
    s = absl::InternalError(absl::StrCat("staging swap: ", std::strerror(errno)));
  }
  if (!s.ok()) {
    for (int fd : fds) close(fd);
    return s;
  }
  generation_fds_.push_back(std::move(fds));
  // Keep the two previous generations: gRPC may still be reading one it resolved just before the
  // swap. Older ones go.
  while (generation_fds_.size() > 3) {
    for (int fd : generation_fds_.front()) close(fd);
    generation_fds_.erase(generation_fds_.begin());
    const std::string old = absl::StrCat(staging_dir_, "/g", gen - 3);
    for (const char* f : {"cert.pem", "key.pem", "ca.pem"}) unlink((old + "/" + f).c_str());
    rmdir(old.c_str());
  }
  return absl::OkStatus();
}

void TlsFileWatcher::Poll() {
  TlsPem pem;
  absl::Status s = Read(files_, &pem);
  // An unreadable file is a version of its own (named by its error).
  const std::string digest = s.ok() ? Digest(pem) : std::string(s.message());
  absl::MutexLock lock(&mu_);
  if (digest == published_digest_) {
    suspect_digest_.clear();
    Wiped(&pem.private_key);
    return;
  }
  if (digest == rejected_digest_) {
    Wiped(&pem.private_key);
    return;
  }
  if (s.ok()) s = CheckPem(pem, absl::Now());
  if (s.ok()) s = Publish(pem);
  Wiped(&pem.private_key);
  if (s.ok()) {
    published_digest_ = digest;
    suspect_digest_.clear();
    rejected_digest_.clear();
    Log(Level::kInfo, "tls_files_reloaded",
        {{"cert_file", files_.cert_file},
         {"ca_file", files_.ca_file},
         {"generation", absl::StrCat(generation_)}});
    mu_.Unlock();
    Notify(true);
    mu_.Lock();
    return;
  }
  if (digest != suspect_digest_) {
    suspect_digest_ = digest;  // count it if it is still there at the next poll
    return;
  }
  rejected_digest_ = digest;
  suspect_digest_.clear();
  Log(Level::kError, "tls_files_rejected",
      {{"cert_file", files_.cert_file},
       {"key_file", files_.key_file},
       {"ca_file", files_.ca_file},
       {"error", std::string(s.message())},
       {"note", "the previous certificate, key and CA stay in use"}});
  mu_.Unlock();
  Notify(false);
  mu_.Lock();
}

}  // namespace onem2m::grpcutil
