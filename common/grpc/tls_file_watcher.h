// File: common/grpc/tls_file_watcher.h
//
// TlsFileWatcher lets long-running gRPC servers and clients pick up renewed certificate, key and CA
// files (cert-manager rewrites them in place long before they expire) without a restart, and
// refuses a broken renewal while the files in use stay in use.
//
// gRPC's FileWatcherCertificateProvider re-reads files by itself, but hands whatever it reads to new
// handshakes, so a truncated or mismatched renewal would break every new connection. So the
// watcher polls the operator's files, validates each new version with OpenSSL (every PEM block
// parses, the private key matches the leaf certificate, the leaf has not expired, the CA bundle
// holds at least one certificate) and only then publishes it as a new generation that the gRPC
// provider watches. A rejected version is logged ("tls_files_rejected") and counted (see
// SetTlsReloadObserver) once it stayed the same for two polls (a writer that replaces the
// certificate and then the key is not caught half-way); the last good version keeps serving.
//
// Generations hold no key bytes on disk: each is a directory of symbolic links into memfd files of
// this process (/proc/self/fd/N), in a private temporary directory that is removed at exit. The
// links of one generation are swapped in with one rename of a "current" link, so gRPC never reads a
// key of one generation with a certificate of another.
//
//   absl::StatusOr<std::shared_ptr<TlsFileWatcher>> w = TlsFileWatcher::Get(files);
//   grpc::experimental::TlsServerCredentialsOptions opts((*w)->provider());
//
// Thread safety: Get may be called from any thread; a watcher is shared by every credential made
// from the same files and lives until the process exits.
#ifndef ONEM2M_COMMON_GRPC_TLS_FILE_WATCHER_H_
#define ONEM2M_COMMON_GRPC_TLS_FILE_WATCHER_H_

#include <grpcpp/security/tls_certificate_provider.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/grpc/mtls.h"

namespace onem2m::grpcutil {

// TlsPem is one validated version of the files.
struct TlsPem {
  std::string cert_chain;  // empty when the files have no identity (a client without certificate)
  std::string private_key;
  std::string ca;
};

// ValidateTlsPem checks `pem` as described above; `now` judges expiry. Returns InvalidArgument
// saying what is wrong (never any key bytes).
absl::Status ValidateTlsPem(const TlsPem& pem, absl::Time now);

// SetTlsReloadObserver installs `observer`, called after each published (ok = true) or rejected
// (ok = false) new version of any watched files, e.g. to count reloads in metrics. Process-wide.
void SetTlsReloadObserver(std::function<void(bool ok)> observer);

// SetTlsReloadInterval sets how often files are polled (and the gRPC provider's refresh, whole
// seconds, at least 1); process-wide, for watchers created afterwards. Default 60 s.
void SetTlsReloadInterval(absl::Duration interval);

class TlsFileWatcher {
 public:
  // Get returns the watcher of `files` (ca_file required; cert_file and key_file both or
  // neither), making it on first use after validating the current files; an error says what is
  // wrong with them.
  static absl::StatusOr<std::shared_ptr<TlsFileWatcher>> Get(const TlsFiles& files);

  ~TlsFileWatcher();
  TlsFileWatcher(const TlsFileWatcher&) = delete;
  TlsFileWatcher& operator=(const TlsFileWatcher&) = delete;

  // provider is the gRPC certificate provider reading the published generation.
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider() const {
    return provider_;
  }
  bool has_identity() const { return !files_.cert_file.empty(); }

  // Poll checks the files once (the watcher's thread calls it every interval; tests may too).
  void Poll();

 private:
  TlsFileWatcher(TlsFiles files, std::string staging_dir, absl::Duration interval);
  absl::Status Publish(const TlsPem& pem) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();

  const TlsFiles files_;
  const std::string staging_dir_;
  const absl::Duration interval_;
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider_;

  absl::Mutex mu_;
  std::string published_digest_ ABSL_GUARDED_BY(mu_);  // SHA-256 of the published sources
  std::string rejected_digest_ ABSL_GUARDED_BY(mu_);   // last version counted as rejected
  std::string suspect_digest_ ABSL_GUARDED_BY(mu_);    // failed once, not yet counted
  int generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::vector<int>> generation_fds_ ABSL_GUARDED_BY(mu_);  // memfds, newest last
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace onem2m::grpcutil

#endif  // ONEM2M_COMMON_GRPC_TLS_FILE_WATCHER_H_
