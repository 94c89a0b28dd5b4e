#include "tests/bench/maf_oracle_check_setup.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "pqxx/pqxx"

namespace onem2m {
namespace oracle {

pg::PoolOptions PoolFor(const std::string& conninfo, const std::string& schema, const char* app) {
  pg::PoolOptions p;
  p.conninfo = conninfo;
  p.schema = schema;
  p.max_size = 8;
  p.application_name = app;
  return p;
}

void DropSchema(const std::string& conninfo, const std::string& schema) {
  auto p = pg::ConnectionPool::Create(PoolFor(conninfo, "", "maf_oracle_check"));
  if (!p.ok()) return;
  (void)(*p)->Run([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    t.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    return absl::OkStatus();
  });
}

std::vector<Device> MakeDevices(int n) {
  std::vector<Device> out(n);
  for (int i = 0; i < n; ++i) {
    Device& d = out[i];
    d.kpm_id = absl::StrCat("oracle-", i);
    d.enrolee_id = absl::StrCat("C-oracle-", i);
    d.ke_id = crypto::KeyId::Random(kMefFqdn)->ToString();
    d.ke = SecretBytes::Random(crypto::kDerivedKeyLen);
    d.km = *crypto::DeriveKm(d.ke, kMafFqdn);
    d.km_id = *crypto::DeriveKmId(d.km, kMafFqdn);
  }
  return out;
}

std::string UnknownId(bool kmid) {
  return crypto::KeyId::Random(kmid ? kMafFqdn : kMefFqdn)->ToString();
}

absl::Status PopulateMef(mef::EnroleeStore* store, const std::vector<Device>& devices,
                         const crypto::Envelope& env) {
  std::vector<mef::Enrolee> rows;
  for (const Device& d : devices) {
    mef::Enrolee e;
    e.kpm_id = d.kpm_id;
    e.kpm = mef::SealedKey{*env.Seal(SecretBytes::Random(32), d.kpm_id),
                           static_cast<int32_t>(env.active_version())};
    e.enrolee_id = d.enrolee_id;
    e.maf_id = kMafFqdn;
    rows.push_back(std::move(e));
  }
  auto bulk = store->BulkCreate(rows);
  if (!bulk.ok()) return bulk.status();
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < devices.size();) {
        const Device& d = devices[i];
        mef::Enrolment m;
        m.ke_id = *crypto::KeyId::Parse(d.ke_id);
        m.kpm_id = d.kpm_id;
        m.ke = mef::SealedKey{*env.Seal(d.ke, d.ke_id), static_cast<int32_t>(env.active_version())};
        m.enrolee_id = d.enrolee_id;
        m.maf_id = kMafFqdn;
        m.expires_at = absl::Now() + absl::Hours(24);
        m.transport = mef::Transport::kTls;
        m.peer_address = "127.0.0.1:1";
        if (!store->RecordEnrolment(m).ok()) ++failed;
      }
    });
  }
  for (auto& t : ts) t.join();
  return failed > 0 ? absl::InternalError("enrolments failed") : absl::OkStatus();
}

absl::Status PopulateMaf(maf::MafStore* store, const std::vector<Device>& devices,
                         const crypto::Envelope& env) {
  for (const Device& d : devices) {
    maf::MafCredential c;
    c.km_id = *crypto::KeyId::Parse(d.km_id);
    c.ke_id = *crypto::KeyId::Parse(d.ke_id);
    c.km = maf::SealedKey{*env.Seal(d.km, d.km_id), static_cast<int32_t>(env.active_version())};
    c.enrolee_id = d.enrolee_id;
    c.mef_fqdn = kMefFqdn;
    c.expires_at = absl::Now() + absl::Hours(24);
    absl::StatusOr<maf::MafCredential> put = store->PutCredential(c);
    if (!put.ok()) return put.status();
  }
  return absl::OkStatus();
}

}  // namespace oracle
}  // namespace onem2m
