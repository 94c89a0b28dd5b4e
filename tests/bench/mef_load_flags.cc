#include "tests/bench/mef_load_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, pg, "", "libpq conninfo (default: $ONEM2M_TEST_PG).");
ABSL_FLAG(int, enrolees, 10000, "Enrolees to create (BulkCreate).");
ABSL_FLAG(int, concurrency, 64, "Concurrent simulated Enrolees (threads).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Run time per phase.");
ABSL_FLAG(std::string, transport, "both", "tls, dtls or both.");
ABSL_FLAG(bool, baseline, true,
          "Also run the bare-OpenSSL TLS (and DTLS) baselines and print the ratios.");
ABSL_FLAG(int, rounds, 1,
          "Rounds of the raw-client phases, each MEF phase followed by its bare baseline; every "
          "case reports its median round and each ratio is the median of the rounds' ratios.");
ABSL_FLAG(int, idle_conns, 0,
          "If > 0: open this many idle TLS sessions and report RSS per session.");
ABSL_FLAG(
    int, half_open_conns, 0,
    "If > 0: open this many connections that never finish a handshake; report RSS per session.");
ABSL_FLAG(std::string, half_open_mode, "tcp",
          "tcp (connect only), partial_hello (a record header and part of a ClientHello) or tls "
          "(a whole ClientHello: the MEF answers with its flight and waits for the client's).");
ABSL_FLAG(int, settle, 60, "Seconds to wait after closing the idle/half-open connections.");
ABSL_FLAG(int, mef_max_sessions, 20000, "The MEF child's --max_sessions.");
ABSL_FLAG(absl::Duration, mef_handshake_timeout, absl::Seconds(120),
          "The MEF child's handshake deadline (half-open connections must outlive the peak "
          "reading).");
ABSL_FLAG(int, io_threads, 2, "MEF I/O threads.");
ABSL_FLAG(std::string, mef_preload, "",
          "With --mef_server: a library for the MEF's LD_PRELOAD, e.g. another malloc "
          "(/usr/lib/x86_64-linux-gnu/libjemalloc.so.2); MALLOC_CONF and TCMALLOC_* pass through "
          "from this process's environment.");
ABSL_FLAG(std::string, mef_server, "",
          "Path of a mef_server binary: serve from it (PostgreSQL store in the --pg database, its "
          "own keyring and certificates) instead of the in-process MEF.");
ABSL_FLAG(int, pg_pool_size, 8, "MEF PostgreSQL pool size.");
ABSL_FLAG(std::string, mef_store, "pg",
          "The in-process MEF's store: pg (the product's) or memory (MemoryEnroleeStore with the "
          "same enrolees: the MEF's ceiling with no database; every phase is named so, and no "
          "row is checked, as none survives). Not with --mef_server.");
ABSL_FLAG(std::vector<std::string>, mef_server_flags, {},
          "Further flags for the --mef_server child, comma-separated (for example "
          "--pg_write_linger=5ms,--pg_write_linger_items=64): to measure a setting without a "
          "rebuild.");
ABSL_FLAG(
    bool, kek_compare, false,
    "Only compare KEK backends: TLS enrolments/s of the MEF with the file keyring, then with a "
    "PKCS#11 token (SoftHSM2, private temporary token), same enrolees and load; prints the "
    "ratio.");
