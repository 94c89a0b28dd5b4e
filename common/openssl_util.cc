#include "common/openssl_util.h"

#include <openssl/err.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace onem2m {

absl::Status OpenSslError(absl::StatusCode code, absl::string_view what) {
  std::string msg(what);
  unsigned long err;  // NOLINT(runtime/int): OpenSSL's type.
  int n = 0;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (n++ < 4) absl::StrAppend(&msg, n == 1 ? ": " : "; ", buf);
  }
  return absl::Status(code, msg);
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace onem2m
