// File: tests/bench/maf_load_servers.h
//
// The server side of the maf_load benchmark (maf_load.cc): each Run*Child is the body of a process
// forked with SpawnChild (load_kit.h), so each one's RSS is its own. It writes its listening port
// (0 on failure) to `out_fd` and then serves until killed.
//   MEF child   EnroleeStore (PgEnroleeStore, or MemoryEnroleeStore with mef_store "memory") +
//               MefCredentialServiceImpl (EnvelopeKeOpener) on gRPC with mutual TLS (MtlsEnv).
//   MAF child   as services/maf/maf_server.cc: MafStore (PgMafStore, or memory) + KmResolver with
//               one MefCredentialClient (client certificate = MAF-ID "maf.local") +
//               maf::HandshakeServer (TLS, asynchronous PSK lookups, procedures on request
//               workers).
//   baseline    bare OpenSSL TLS 1.2 PSK server (same suite; handshake +
//               SSL_export_keying_material(EXPORTER-oneM2M-Connection, 48), no store).
#ifndef ONEM2M_TESTS_BENCH_MAF_LOAD_SERVERS_H_
#define ONEM2M_TESTS_BENCH_MAF_LOAD_SERVERS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/crypto/envelope.h"
#include "common/pg/pool.h"
#include "common/secret_bytes.h"
#include "common/testing/mtls_env.h"
#include "mef/store/enrolee_store.h"

namespace onem2m::bench {

inline constexpr char kMafFqdn[] = "maf.local";
inline constexpr char kMefFqdn[] = "mef.local";
inline constexpr char kExporterLabel[] = "EXPORTER-oneM2M-Connection";

// Device is one simulated device as a bootstrap would leave it: Ke and KeID at the MEF; Km and
// KmID derived on the device.
struct Device {
  std::string kpm_id;
  std::string enrolee_id;
  std::string ke_id;
  std::string ke;  // raw (bench only)
  std::string km;  // raw (bench only)
  std::string km_id;
};

// MafLoadServerOptions are the children's settings (maf_load's flags of the same names).
struct MafLoadServerOptions {
  std::string mef_store = "pg";  // "pg" or "memory"
  std::string maf_store = "pg";  // "pg" or "memory"
  int mef_pg_pool_size = 8;
  int maf_pg_pool_size = 8;
  absl::Duration fetch_timeout = absl::Seconds(2);
  absl::Duration km_cache_ttl = absl::Seconds(30);
  int io_threads = 2;
  std::string suite = "PSK-AES128-CBC-SHA256";  // OpenSSL name, for the baseline
  int baseline_threads = 16;
};

// PopulateMefStore writes one enrolee (fresh Kpm) and one enrolment (sealed Ke) per device, with
// `threads` writers; aborts on failure.
void PopulateMefStore(mef::EnroleeStore* store, const std::vector<Device>& devices,
                      const crypto::Envelope& env, int threads);

// PoolFor is the PostgreSQL pool of one process (`app` is its application_name).
pg::PoolOptions PoolFor(const std::string& conninfo, const std::string& schema, int size,
                        const char* app);

[[noreturn]] void RunMefChild(const MafLoadServerOptions& options, const std::string& conninfo,
                              const std::string& schema, const crypto::Envelope* envelope,
                              const std::vector<Device>* devices,
                              const ::onem2m::testing::MtlsEnv* mtls, int out_fd);

[[noreturn]] void RunMafChild(const MafLoadServerOptions& options, const std::string& conninfo,
                              const std::string& schema, int mef_port,
                              const ::onem2m::testing::MtlsEnv* mtls, int out_fd);

// RunBaselineChild: bare OpenSSL TLS 1.2 PSK server: handshake + export, then wait for the
// client's close.
[[noreturn]] void RunBaselineChild(const MafLoadServerOptions& options, const SecretBytes* key,
                                   int out_fd);

}  // namespace onem2m::bench

#endif  // ONEM2M_TESTS_BENCH_MAF_LOAD_SERVERS_H_
