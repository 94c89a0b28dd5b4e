// File: tests/bench/maf_load_workload.h
//
// The client side of the maf_load benchmark (maf_load.cc): what the simulated devices need to
// connect (TLS client contexts built outside the timed loop, MafClient options), one raw
// handshake, and the run's PostgreSQL bookkeeping (row counts, dropping its schemas).
#ifndef ONEM2M_TESTS_BENCH_MAF_LOAD_WORKLOAD_H_
#define ONEM2M_TESTS_BENCH_MAF_LOAD_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/secret_bytes.h"
#include "common/tls/psk_context.h"
#include "enrolee/maf_client.h"
#include "tests/bench/maf_load_servers.h"

namespace onem2m::bench {

// Suites resolves the TLS suite's OpenSSL name; exits with status 2 when it is unknown.
std::vector<tls::CipherSuite> Suites(const std::string& suite);

// RawHandshake: handshake with a prepared context, then close_notify and close (phases 2 and 3).
absl::Status RawHandshake(const std::shared_ptr<const tls::PskContext>& ctx, int port);

// Contexts builds one client PskContext per device (identity KmID, key Km or `same_key`) so the
// timed loop does not pay SSL_CTX_new; both the MAF and the baseline phase use contexts built the
// same way.
std::vector<std::shared_ptr<const tls::PskContext>> Contexts(
    const std::vector<Device>& devices, const SecretBytes* same_key,
    const std::vector<tls::CipherSuite>& suites);

// MafOptions connects device `d` to the MAF on `port` with PSK identity `identity` and key Km.
enrolee::MafClientOptions MafOptions(int port, const Device& d, const std::string& identity,
                                     const std::vector<tls::CipherSuite>& suites);

void DropSchema(const std::string& conninfo, const std::string& schema);

// CountRows returns the rows of `table` in `schema`, or -1 when the database is unreachable.
int64_t CountRows(const std::string& conninfo, const std::string& schema, const std::string& table);

}  // namespace onem2m::bench

#endif  // ONEM2M_TESTS_BENCH_MAF_LOAD_WORKLOAD_H_
