#include "common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/secret_bytes.h"

namespace onem2m {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string what = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(what);
    return absl::NotFoundError(what);
  }
  struct stat st;
  std::string out;
  // One byte more than the file, so the read that finds its end needs no reallocation.
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) out.reserve(static_cast<size_t>(st.st_size) + 1);
  for (;;) {
    if (out.size() == out.capacity()) {
      // Only a file that grew while read (or is not a regular file) gets here: move it by hand so
      // the old buffer is wiped, not just freed.
      std::string bigger;
      bigger.reserve(out.capacity() * 2 + 4096);
      bigger.append(out);
      WipeString(&out);
      out.swap(bigger);
    }
    const size_t done = out.size();
    out.resize(out.capacity());
    const ssize_t n = read(fd, &out[done], out.size() - done);
    out.resize(done + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      WipeString(&out);
      const std::string what = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
      // EISDIR: a directory named where a file belongs (a mounted Secret's folder, say).
      if (err == EISDIR) return absl::FailedPreconditionError(what);
      return absl::DataLossError(what);
    }
    if (n == 0) break;
  }
  close(fd);
  return out;
}

}  // namespace onem2m
