// File: common/crypto/pkcs11_token.h
//
// The PKCS#11 plumbing under Pkcs11KekBackend (pkcs11_kek_backend.h): loading a module once per
// path and sharing it, finding a token by label, reading key attributes, listing AES keys, and
// mapping PKCS#11 return values to Status. Internal to the pkcs11_kek_backend library.
#ifndef ONEM2M_COMMON_CRYPTO_PKCS11_TOKEN_H_
#define ONEM2M_COMMON_CRYPTO_PKCS11_TOKEN_H_

#include <p11-kit-1/p11-kit/pkcs11.h>  // the PKCS#11 API header, from libp11-kit-dev

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/pkcs11_kek_backend.h"

namespace onem2m {
namespace crypto {

// Module is one dlopen'ed, C_Initialize'd PKCS#11 module, shared by the backends using its path.
struct Pkcs11KekBackend::Module {
  void* handle = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  ~Module() {
    // C_Finalize ends every session of the process with this module. The library stays mapped:
    // modules register atexit handlers and thread-locals (OpenSSL in SoftHSM2) that would
    // outlive a dlclose.
    if (f != nullptr) f->C_Finalize(nullptr);
  }
};

namespace pkcs11 {

// P11Error maps a PKCS#11 return value to a Status: failures a retry or another token state can
// cure are Unavailable; a refused PIN is PermissionDenied; bad ciphertext is DataLoss.
absl::Status P11Error(absl::string_view what, CK_RV rv);

// LoadModule dlopens and C_Initializes the module at `path`, or returns the one already loaded
// there while any backend still holds it.
absl::StatusOr<std::shared_ptr<Pkcs11KekBackend::Module>> LoadModule(const std::string& path);

// FindToken returns the slot of the present token labelled `label`.
absl::StatusOr<CK_SLOT_ID> FindToken(CK_FUNCTION_LIST_PTR f, absl::string_view label);

// GetBool reads a CK_BBOOL attribute; `fallback` if the token will not say.
bool GetBool(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
             CK_ATTRIBUTE_TYPE type, bool fallback);

absl::StatusOr<std::string> GetLabel(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                                     CK_OBJECT_HANDLE o);

// FindAesKeys returns the handles of the token's AES secret keys.
absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindAesKeys(CK_FUNCTION_LIST_PTR f,
                                                          CK_SESSION_HANDLE s);

}  // namespace pkcs11
}  // namespace crypto
}  // namespace onem2m

#endif  // ONEM2M_COMMON_CRYPTO_PKCS11_TOKEN_H_
