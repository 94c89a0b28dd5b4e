// PKCS#11 module loading, token lookup and key attributes for Pkcs11KekBackend; see pkcs11_token.h.
#include "common/crypto/pkcs11_token.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <map>

#include "absl/base/const_init.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace onem2m {
namespace crypto {
namespace pkcs11 {

using Module = Pkcs11KekBackend::Module;

absl::Status P11Error(absl::string_view what, CK_RV rv) {
  const std::string msg = absl::StrFormat("PKCS#11 %s failed: CKR 0x%lx", what, rv);
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_LOCKED:
    case CKR_PIN_EXPIRED:
      return absl::PermissionDeniedError(msg);
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
      return absl::DataLossError(
          "wrapped data key failed authentication in the token (tampered blob or wrong KEK)");
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return absl::NotFoundError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

namespace {

// Registry shares loaded modules by path for the life of their backends.
absl::Mutex registry_mu(absl::kConstInit);
std::map<std::string, std::weak_ptr<Module>>& Registry() {
  static auto* const registry = new std::map<std::string, std::weak_ptr<Module>>();
  return *registry;
}

}  // namespace

absl::StatusOr<std::shared_ptr<Module>> LoadModule(const std::string& path) {
  absl::MutexLock lock(&registry_mu);
  std::weak_ptr<Module>& slot = Registry()[path];
  if (std::shared_ptr<Module> loaded = slot.lock()) return loaded;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("PKCS#11 module not found: ", path));
  }
  auto module = std::make_shared<Module>();
  module->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle == nullptr) {
    const char* err = dlerror();
    return absl::UnavailableError(
        absl::StrCat("cannot load PKCS#11 module ", path, ": ", err == nullptr ? "" : err));
  }
  auto get_list =
      reinterpret_cast<CK_C_GetFunctionList>(dlsym(module->handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    return absl::UnavailableError(absl::StrCat(path, " has no C_GetFunctionList"));
  }
  CK_FUNCTION_LIST_PTR f = nullptr;
  if (CK_RV rv = get_list(&f); rv != CKR_OK || f == nullptr) {
    return P11Error("C_GetFunctionList", rv);
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;  // sessions are used from many threads
  CK_RV rv = f->C_Initialize(&args);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    // Someone else in the process owns the module's C_Finalize; sharing it would let either side
    // pull the sessions from under the other.
    return absl::FailedPreconditionError(
        absl::StrCat("PKCS#11 module ", path, " was initialised outside this backend"));
  }
  if (rv != CKR_OK) return P11Error("C_Initialize", rv);
  module->f = f;
  slot = module;
  return module;
}

absl::StatusOr<CK_SLOT_ID> FindToken(CK_FUNCTION_LIST_PTR f, absl::string_view label) {
  CK_ULONG count = 0;
  if (CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &count); rv != CKR_OK) {
    return P11Error("C_GetSlotList", rv);
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0) {
    if (CK_RV rv = f->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) {
      return P11Error("C_GetSlotList", rv);
    }
    slots.resize(count);
  }
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info;
    if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    // Token labels are blank-padded to 32 bytes.
    absl::string_view got(reinterpret_cast<const char*>(info.label), sizeof(info.label));
    if (absl::StripTrailingAsciiWhitespace(got) == label) return slot;
  }
  return absl::NotFoundError(absl::StrCat("no PKCS#11 token labelled '", label, "'"));
}

bool GetBool(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
             CK_ATTRIBUTE_TYPE type, bool fallback) {
  CK_BBOOL value = CK_FALSE;
  CK_ATTRIBUTE attr = {type, &value, sizeof(value)};
  if (f->C_GetAttributeValue(s, o, &attr, 1) != CKR_OK) return fallback;
  return value == CK_TRUE;
}

absl::StatusOr<std::string> GetLabel(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                                     CK_OBJECT_HANDLE o) {
  CK_ATTRIBUTE attr = {CKA_LABEL, nullptr, 0};
  if (CK_RV rv = f->C_GetAttributeValue(s, o, &attr, 1); rv != CKR_OK) {
    return P11Error("C_GetAttributeValue(CKA_LABEL)", rv);
  }
  std::string label(attr.ulValueLen, '\0');
  attr.pValue = label.data();
  if (CK_RV rv = f->C_GetAttributeValue(s, o, &attr, 1); rv != CKR_OK) {
    return P11Error("C_GetAttributeValue(CKA_LABEL)", rv);
  }
  label.resize(attr.ulValueLen);
  return label;
}

absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindAesKeys(CK_FUNCTION_LIST_PTR f,
                                                          CK_SESSION_HANDLE s) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &type, sizeof(type)}};
  if (CK_RV rv = f->C_FindObjectsInit(s, tmpl, 2); rv != CKR_OK) {
    return P11Error("C_FindObjectsInit", rv);
  }
  std::vector<CK_OBJECT_HANDLE> out;
  CK_OBJECT_HANDLE batch[32];
  CK_ULONG n = 0;
  CK_RV rv;
  while ((rv = f->C_FindObjects(s, batch, 32, &n)) == CKR_OK && n > 0) {
    out.insert(out.end(), batch, batch + n);
  }
  f->C_FindObjectsFinal(s);
  if (rv != CKR_OK) return P11Error("C_FindObjects", rv);
  return out;
}

}  // namespace pkcs11
}  // namespace crypto
}  // namespace onem2m
