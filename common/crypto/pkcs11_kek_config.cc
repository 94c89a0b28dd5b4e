// What an operator configures for Pkcs11KekBackend (pkcs11_kek_backend.h): the token labels that
// name KEK versions, and the PIN file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/crypto/pkcs11_kek_backend.h"

namespace onem2m {
namespace crypto {

std::string Pkcs11KekLabel(uint32_t version) {
  return absl::StrCat(kPkcs11KekLabelPrefix, version);
}

uint32_t ParsePkcs11KekLabel(absl::string_view label) {
  if (!absl::ConsumePrefix(&label, kPkcs11KekLabelPrefix)) return 0;
  if (label.empty() || label.size() > 10 || label[0] == '0') return 0;
  uint64_t v = 0;
  for (char c : label) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v > 0xFFFFFFFFu ? 0 : static_cast<uint32_t>(v);
}

absl::StatusOr<SecretBytes> ReadPkcs11PinFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat("PIN file not found: ", path));
    if (err == EACCES) return absl::PermissionDeniedError(absl::StrCat("cannot read ", path));
    return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(err)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IRWXO) != 0 ||
      st.st_size > 4096) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("PIN file ", path,
                     " must be a regular file of at most 4 KiB not accessible to others "
                     "(mode 0600/0400/0440)"));
  }
  SecretBytes buf(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = read(fd, buf.mutable_data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  while (done > 0 && absl::ascii_isspace(buf.data()[done - 1])) --done;
  if (done == 0) return absl::InvalidArgumentError(absl::StrCat("PIN file ", path, " is empty"));
  return SecretBytes::Copy(buf.data(), done);
}

}  // namespace crypto
}  // namespace onem2m
