// File: maf/store/maf_store_test_fixture.h
//
// What the MafStoreTest case files share (maf_store_test_suite.cc: credentials and clients;
// maf_store_keys_test_suite.cc: keys, client updates and revocations that reach keys, KEK rewrap):
// identifiers, a credential builder, and a fixture holding a store on a FakeClock. Internal to the
// suite; implementations include maf_store_test_suite.h.
#ifndef ONEM2M_MAF_STORE_MAF_STORE_TEST_FIXTURE_H_
#define ONEM2M_MAF_STORE_MAF_STORE_TEST_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "common/time/testing/fake_clock.h"
#include "maf/store/maf_store_test_suite.h"

namespace onem2m {
namespace maf {
namespace store_test {

using ::onem2m::testing::IsOk;

inline constexpr char kMaf[] = "maf.example.com";
inline constexpr char kMef[] = "mef.example.com";
inline const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

// Id is Key Identifier number `i` (< 256) of `fqdn`, its relative id `tag` repeated.
inline crypto::KeyId Id(int i, const char* fqdn, char tag) {
  std::string rel(16, tag);
  rel[15] = static_cast<char>(i);
  return *crypto::KeyId::FromParts(rel, fqdn);
}
inline crypto::KeyId KmId(int i) { return Id(i, kMaf, 'K'); }
inline crypto::KeyId KeId(int i) { return Id(i, kMef, 'E'); }
// KeyId is the Key Identifier of registered key `i`, as MafKey::key_id holds it (text).
inline std::string KeyId(int i) { return Id(i, kMaf, 'C').ToString(); }

inline MafCredential Cred(int i, absl::Time expires, const std::string& enrolee = "") {
  MafCredential c;
  c.km_id = KmId(i);
  c.ke_id = KeId(i);
  c.km = SealedKey{absl::StrCat("sealed-km-", i), 1};
  c.enrolee_id = enrolee.empty() ? absl::StrCat("C-dev", i) : enrolee;
  c.mef_fqdn = kMef;
  c.expires_at = expires;
  return c;
}

class Fixture {
 public:
  explicit Fixture(const MafStoreFactory& factory) { store = factory(&clock); }
  void Advance(absl::Duration d) { clock.Advance(d); }
  absl::Time Now() { return clock.Now(); }
  MafKey Key(int i, const MafClient& client, std::vector<std::string> targets,
             absl::Duration life = absl::Hours(1)) {
    MafKey k;
    k.key_id = KeyId(i);
    k.relative_id = k.key_id.substr(0, 32);
    k.key = SealedKey{absl::StrCat("sealed-key-", i), 1};
    k.suid = 42;
    k.target_ids = std::move(targets);
    k.maf_client_reg_id = client.maf_client_reg_id;
    k.expires_at = Now() + life;
    return k;
  }
  // Registered returns an active client for credential i (expiring in `life`).
  MafClient Registered(int i, absl::Duration life = absl::Hours(24)) {
    EXPECT_THAT(store->PutCredential(Cred(i, Now() + life)), IsOk());
    absl::StatusOr<MafClient> c = store->RegisterClient(KmId(i), absl::InfiniteFuture());
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *c : MafClient();
  }

  FakeClock clock{kT0};
  std::unique_ptr<MafStore> store;
};

#define MAKE_FIXTURE()                                         \
  Fixture f(GetParam());                                       \
  if (f.store == nullptr) GTEST_SKIP() << "store unavailable"; \
  MafStore& store = *f.store

inline const Revocation kWhy{"admin.example.com", "test", absl::InfinitePast()};

}  // namespace store_test
}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_MAF_STORE_TEST_FIXTURE_H_
