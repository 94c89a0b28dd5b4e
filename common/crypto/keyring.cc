// Keyring: parsing, loading and writing keyring files and directories (file I/O of the KEKs);
// the Envelope that seals with them is in envelope.cc.
#include "common/crypto/envelope.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/crypto/key_id.h"

namespace onem2m {
namespace crypto {
namespace {

// ParseVersion parses a decimal version 1..UINT32_MAX (digits only).
bool ParseVersion(absl::string_view text, uint32_t* out) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v == 0 || v > 0xFFFFFFFFu) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// DecodeKey decodes a KEK given as 64 hex characters or base64 of 32 bytes. Errors never quote
// the input.
absl::StatusOr<SecretBytes> DecodeKey(absl::string_view text) {
  if (text.size() == 2 * kKekLen) {
    absl::StatusOr<SecretBytes> key = ParseHexSecret(text);
    if (key.ok()) return key;
  }
  std::string raw;
  if (!absl::Base64Unescape(text, &raw) || raw.size() != kKekLen) {
    WipeString(&raw);
    return absl::InvalidArgumentError("key is neither 64 hex characters nor base64 of 32 bytes");
  }
  SecretBytes key = SecretBytes::Copy(raw);
  WipeString(&raw);
  return key;
}

// FileText holds a file's content and wipes it when destroyed.
struct FileText {
  std::string text;
  ~FileText() { WipeString(&text); }
};

// ReadProtectedFile reads a regular file that "others" cannot access.
absl::Status ReadProtectedFile(const std::string& path, FileText* out) {
  // O_NONBLOCK: opening a FIFO must not hang; the S_ISREG check below then refuses it.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat("keyring file not found: ", path));
    if (err == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat("cannot read keyring file: ", path));
    }
    return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(err)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("fstat ", path, ": ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("keyring path is not a regular file: ", path));
  }
  if ((st.st_mode & S_IRWXO) != 0) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("keyring file ", path, " is accessible to others (mode ",
                     absl::StrFormat("%04o", st.st_mode & 07777),
                     "); use mode 0600/0400 (or 0440), e.g. Kubernetes defaultMode 0400"));
  }
  if (st.st_size > (1 << 20)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat("keyring file too large: ", path));
  }
  out->text.assign(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out->text.size()) {
    const ssize_t n = read(fd, &out->text[done], out->text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat("read ", path, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out->text.resize(done);
  close(fd);
  return absl::OkStatus();
}

// WriteFileExclusive writes `text` to a new file `path` with mode 0600 and fsyncs it.
absl::Status WriteFileExclusive(const std::string& path, absl::string_view text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) return absl::AlreadyExistsError(absl::StrCat("file exists: ", path));
    return absl::InternalError(absl::StrCat("create ", path, ": ", std::strerror(err)));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      unlink(path.c_str());
      return absl::InternalError(absl::StrCat("write ", path, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    const int err = errno;
    close(fd);
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat("fsync ", path, ": ", std::strerror(err)));
  }
  if (close(fd) != 0) {
    return absl::InternalError(absl::StrCat("close ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Keyring ---------------------------------------------------------------------------------

absl::StatusOr<Keyring> Keyring::Parse(absl::string_view text) {
  std::map<uint32_t, SecretBytes> keys;
  uint32_t active = 0;
  bool have_active = false;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "keyring line ", line_no, ": expected '<version>:<key>' or 'active: <version>'"));
    }
    const absl::string_view left = absl::StripAsciiWhitespace(line.substr(0, colon));
    const absl::string_view right = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (left == "active") {
      if (have_active) {
        return absl::InvalidArgumentError(
            absl::StrCat("keyring line ", line_no, ": 'active' given twice"));
      }
      if (!ParseVersion(right, &active)) {
        return absl::InvalidArgumentError(
            absl::StrCat("keyring line ", line_no, ": active version must be 1..4294967295"));
      }
      have_active = true;
      continue;
    }
    uint32_t version;
    if (!ParseVersion(left, &version)) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring line ", line_no, ": version must be 1..4294967295"));
    }
    if (keys.count(version) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring line ", line_no, ": duplicate version ", version));
    }
    absl::StatusOr<SecretBytes> key = DecodeKey(right);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("keyring line ", line_no, " (version ",
                                                     version, "): ", key.status().message()));
    }
    keys.emplace(version, *std::move(key));
  }
  return FromKeys(std::move(keys), active);
}

absl::StatusOr<Keyring> Keyring::LoadFile(const std::string& path) {
  FileText file;
  absl::Status s = ReadProtectedFile(path, &file);
  if (!s.ok()) return s;
  absl::StatusOr<Keyring> keyring = Parse(file.text);
  if (!keyring.ok()) {
    return absl::Status(keyring.status().code(),
                        absl::StrCat(path, ": ", keyring.status().message()));
  }
  return keyring;
}

absl::StatusOr<Keyring> Keyring::LoadDirectory(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    const int err = errno;
    if (err == ENOENT)
      return absl::NotFoundError(absl::StrCat("keyring directory not found: ", path));
    return absl::InternalError(absl::StrCat("opendir ", path, ": ", std::strerror(err)));
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(dir)) names.emplace_back(e->d_name);
  closedir(dir);

  std::map<uint32_t, SecretBytes> keys;
  uint32_t active = 0;
  for (const std::string& name : names) {
    if (name.empty() || name[0] == '.') continue;
    const std::string file_path = absl::StrCat(path, "/", name);
    uint32_t version = 0;
    const bool is_active = name == "active";
    if (!is_active && !ParseVersion(name, &version)) {
      return absl::InvalidArgumentError(absl::StrCat("keyring directory ", path,
                                                     ": unexpected file '", name,
                                                     "' (expected decimal versions and 'active')"));
    }
    FileText file;
    absl::Status s = ReadProtectedFile(file_path, &file);
    if (!s.ok()) return s;
    const absl::string_view content = absl::StripAsciiWhitespace(file.text);
    if (is_active) {
      if (!ParseVersion(content, &active)) {
        return absl::InvalidArgumentError(
            absl::StrCat(file_path, ": active version must be 1..4294967295"));
      }
      continue;
    }
    absl::StatusOr<SecretBytes> key = DecodeKey(content);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file_path, ": ", key.status().message()));
    }
    keys.emplace(version, *std::move(key));
  }
  absl::StatusOr<Keyring> keyring = FromKeys(std::move(keys), active);
  if (!keyring.ok()) {
    return absl::Status(keyring.status().code(),
                        absl::StrCat(path, ": ", keyring.status().message()));
  }
  return keyring;
}

absl::StatusOr<Keyring> Keyring::Load(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat("keyring not found: ", path));
    return absl::InternalError(absl::StrCat("stat ", path, ": ", std::strerror(err)));
  }
  if (S_ISDIR(st.st_mode)) return LoadDirectory(path);
  return LoadFile(path);
}

absl::StatusOr<Keyring> Keyring::FromKeys(std::map<uint32_t, SecretBytes> keys,
                                          uint32_t active_version) {
  if (keys.empty()) return absl::InvalidArgumentError("keyring holds no key");
  for (const auto& [version, key] : keys) {
    if (version == 0) return absl::InvalidArgumentError("keyring version 0 is not allowed");
    if (key.size() != kKekLen) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring version ", version, ": key must be ", kKekLen, " bytes"));
    }
  }
  if (active_version == 0) {
    active_version = keys.rbegin()->first;
  } else if (keys.count(active_version) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("active version ", active_version, " is not in the keyring"));
  }
  return Keyring(std::move(keys), active_version);
}

Keyring Keyring::Generate(uint32_t version) {
  if (version == 0) version = 1;
  std::map<uint32_t, SecretBytes> keys;
  keys.emplace(version, SecretBytes::Random(kKekLen));
  return Keyring(std::move(keys), version);
}

std::vector<uint32_t> Keyring::versions() const {
  std::vector<uint32_t> out;
  out.reserve(keys_.size());
  for (const auto& entry : keys_) out.push_back(entry.first);
  return out;
}

const SecretBytes* Keyring::key(uint32_t version) const {
  auto it = keys_.find(version);
  return it == keys_.end() ? nullptr : &it->second;
}

std::string Keyring::ToFileText() const {
  std::string out =
      "# oneM2M RSP key-encryption keyring (common/crypto/envelope.h). Keep mode 0600.\n"
      "# Lines: '<version>:<64 hex>'; 'active: <version>' selects the sealing key.\n";
  absl::StrAppend(&out, "active: ", active_version_, "\n");
  for (const auto& [version, key] : keys_) {
    std::string hex = HexUpper(key.Reveal());
    absl::StrAppend(&out, version, ":", hex, "\n");
    WipeString(&hex);
  }
  return out;
}

absl::Status CreateKeyringFile(const std::string& path) {
  std::string text = Keyring::Generate(1).ToFileText();
  absl::Status s = WriteFileExclusive(path, text);
  WipeString(&text);
  return s;
}

absl::StatusOr<uint32_t> AddKeyToKeyringFile(const std::string& path, bool activate) {
  absl::StatusOr<Keyring> old = Keyring::LoadFile(path);
  if (!old.ok()) return old.status();
  const uint32_t highest = old->versions().back();
  if (highest == 0xFFFFFFFFu) {
    return absl::FailedPreconditionError("keyring version space exhausted");
  }
  const uint32_t new_version = highest + 1;
  std::map<uint32_t, SecretBytes> keys;
  for (uint32_t v : old->versions()) keys.emplace(v, *old->key(v));
  keys.emplace(new_version, SecretBytes::Random(kKekLen));
  absl::StatusOr<Keyring> updated =
      Keyring::FromKeys(std::move(keys), activate ? new_version : old->active_version());
  if (!updated.ok()) return updated.status();

  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  std::string text = updated->ToFileText();
  absl::Status s = WriteFileExclusive(tmp, text);
  WipeString(&text);
  if (!s.ok()) return s;
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("rename ", tmp, " to ", path, ": ", std::strerror(err)));
  }
  return new_version;
}

}  // namespace crypto
}  // namespace onem2m
