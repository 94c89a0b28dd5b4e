#include "services/admin/enrolee_generator.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/key_id.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace admin {
namespace {

// SecretFile writes through a file created 0600 with O_EXCL, so keys never land in a file that
// someone else could already read, nor replace an existing key list.
class SecretFile {
 public:
  ~SecretFile() {
    WipeString(&buffer_);
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      const int err = errno;
      if (err == EEXIST) {
        return absl::AlreadyExistsError(absl::StrCat(path, ": exists; refusing to overwrite"));
      }
      return absl::InternalError(absl::StrCat(path, ": ", std::strerror(err)));
    }
    return absl::OkStatus();
  }
  absl::Status Append(absl::string_view text) {
    buffer_.append(text.data(), text.size());
    if (buffer_.size() >= (1 << 16)) return Drain();
    return absl::OkStatus();
  }
  absl::Status Close() {
    absl::Status s = Drain();
    if (s.ok() && ::fsync(fd_) != 0) s = absl::InternalError(absl::StrCat(path_, ": fsync"));
    if (::close(fd_) != 0 && s.ok()) s = absl::InternalError(absl::StrCat(path_, ": close"));
    fd_ = -1;
    return s;
  }

 private:
  absl::Status Drain() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        WipeString(&buffer_);
        return absl::InternalError(absl::StrCat(path_, ": write: ", std::strerror(errno)));
      }
      done += static_cast<size_t>(n);
    }
    WipeString(&buffer_);
    return absl::OkStatus();
  }

  std::string path_;
  std::string buffer_;
  int fd_ = -1;
};

}  // namespace

absl::Status GenerateEnroleeFile(const GenerateOptions& o, const std::string& out,
                                 const std::string& kpm_out) {
  if (o.count == 0) return absl::InvalidArgumentError("--count must be positive");
  absl::Status s = crypto::ValidateFqdn(o.maf_id);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("--maf-id: ", s.message()));
  if (o.kpm_len < 16 || o.kpm_len > 64) {
    return absl::InvalidArgumentError("--kpm-len must be 16..64");
  }
  // Ids go into the CSV unquoted and must pass the MEF's Enrolee-ID rule (printable, no spaces).
  for (const std::string* id : {&o.kpm_id_prefix, &o.enrolee_id_prefix}) {
    for (char c : *id) {
      if (c < 0x21 || c > 0x7E || c == ',' || c == '"') {
        return absl::InvalidArgumentError(
            "--prefix: printable ASCII without spaces, ',' or '\"' only");
      }
    }
  }
  if (o.maf_uri.find_first_of(",\"\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("--maf-uri must not contain ',', '\"' or line breaks");
  }
  SecretFile file;
  s = file.Open(out);
  if (!s.ok()) return s;
  SecretFile keys;
  if (!kpm_out.empty()) {
    s = keys.Open(kpm_out);
    if (!s.ok()) return s;
    s = keys.Append("kpm_id,kpm_hex\n");
    if (!s.ok()) return s;
  }
  s = file.Append("kpm_id,kpm_hex,enrolee_id,maf_id,maf_uri,lifetime_seconds\n");
  if (!s.ok()) return s;
  const std::string lifetime = o.lifetime_seconds > 0 ? absl::StrCat(o.lifetime_seconds) : "";
  // Zero-padded ids sort in file order, which keeps list output readable.
  const int width = static_cast<int>(absl::StrCat(o.count).size());
  for (uint64_t i = 1; i <= o.count; ++i) {
    const std::string kpm_id = absl::StrCat(o.kpm_id_prefix, absl::StrFormat("%0*d", width, i));
    SecretBytes kpm = SecretBytes::Random(static_cast<size_t>(o.kpm_len));
    std::string hex = crypto::HexUpper(kpm.Reveal());
    std::string line = absl::StrCat(kpm_id, ",", hex, ",", o.enrolee_id_prefix, kpm_id, ",",
                                    o.maf_id, ",", o.maf_uri, ",", lifetime, "\n");
    s = file.Append(line);
    if (s.ok() && !kpm_out.empty()) {
      std::string key_line = absl::StrCat(kpm_id, ",", hex, "\n");
      s = keys.Append(key_line);
      WipeString(&key_line);
    }
    WipeString(&line);
    WipeString(&hex);
    if (!s.ok()) return s;
  }
  s = file.Close();
  if (s.ok() && !kpm_out.empty()) s = keys.Close();
  return s;
}

}  // namespace admin
}  // namespace onem2m
