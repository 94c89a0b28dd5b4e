#include "common/testing/softhsm_token.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace onem2m {
namespace testing {
namespace {

absl::Status WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  if (chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SoftHsmToken> SoftHsmToken::Create(const std::string& dir, const std::string& label,
                                                  const std::string& pin) {
  const std::string tokens = dir + "/tokens";
  if ((mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) ||
      (mkdir(tokens.c_str(), 0700) != 0 && errno != EEXIST)) {
    return absl::InternalError(absl::StrCat("mkdir ", tokens, ": ", std::strerror(errno)));
  }
  SoftHsmToken t;
  t.label_ = label;
  t.pin_ = pin;
  t.conf_path_ = dir + "/softhsm2.conf";
  t.pin_file_ = dir + "/pin";
  absl::Status s = WriteFile(t.conf_path_,
                             absl::StrCat("directories.tokendir = ", tokens,
                                          "\nobjectstore.backend = file\nlog.level = ERROR\n"),
                             0600);
  if (!s.ok()) return s;
  s = WriteFile(t.pin_file_, pin + "\n", 0600);
  if (!s.ok()) return s;
  setenv("SOFTHSM2_CONF", t.conf_path_.c_str(), 1);
  // Test-only shell-out; the arguments are the test's own constants.
  const std::string cmd = absl::StrCat("softhsm2-util --init-token --free --label '", label,
                                       "' --pin '", pin, "' --so-pin 'so-", pin, "' >/dev/null");
  const int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return absl::InternalError(absl::StrCat("softhsm2-util --init-token failed (", rc, ")"));
  }
  return t;
}

}  // namespace testing
}  // namespace onem2m
