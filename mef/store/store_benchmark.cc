// store_benchmark measures durable RecordEnrolment throughput on a real PostgreSQL: group commit
// (the default) versus one transaction per row, at 1, 16 and 64 concurrent callers, in one run.
//
//   eval "$(bash tests/pg/start_pg.sh)"
//   bazel run -c opt //mef/store:store_benchmark            # uses $ONEM2M_TEST_PG
//   bazel run -c opt //mef/store:store_benchmark -- 'host=... dbname=...' [seconds-per-case]
//
// It works in a schema of its own (bench_<pid>) and drops it at the end. The MEF's target is at
// least 2,000 durable enrolments/s.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/process_defaults.h"
#include "mef/store/pg_enrolee_store.h"
#include "pqxx/nontransaction"
#include "pqxx/pqxx"

namespace onem2m {
namespace mef {
namespace {

struct Result {
  double per_second;
  int64_t rows;
  int64_t errors;
};

Result Run(EnroleeStore& store, int callers, absl::Duration duration, const std::string& tag) {
  std::atomic<int64_t> rows{0}, errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        Enrolment e;
        // A unique relative id per row: the case's tag, the caller and the row number.
        std::string rel = absl::StrCat(tag, "-", t, "-", i);
        rel.resize(crypto::kRelativeIdLen, '\0');
        e.ke_id = *crypto::KeyId::FromParts(rel, "mef.example.com");
        e.kpm_id = "bench-enrolee";
        e.ke = SealedKey{std::string(60, '\x5a'), 1};  // the size of a sealed 32-byte Ke
        e.enrolee_id = "C-bench";
        e.maf_id = "maf.example.com";
        e.expires_at = absl::Now() + absl::Hours(24);
        e.transport = Transport::kTls;
        e.peer_address = "192.0.2.1:4433";
        if (store.RecordEnrolment(e).ok()) {
          ++rows;
        } else {
          ++errors;
        }
      }
    });
  }
  absl::SleepFor(duration);
  stop = true;
  for (auto& th : threads) th.join();
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  return Result{rows / secs, rows.load(), errors.load()};
}

int Main(int argc, char** argv) {
  std::string conninfo = argc > 1 ? argv[1] : "";
  if (conninfo.empty() && std::getenv("ONEM2M_TEST_PG") != nullptr) {
    conninfo = std::getenv("ONEM2M_TEST_PG");
  }
  if (conninfo.empty()) {
    std::fprintf(stderr, "usage: store_benchmark [conninfo] [seconds]; or set ONEM2M_TEST_PG\n");
    return 2;
  }
  const absl::Duration per_case = absl::Seconds(argc > 2 ? std::atoi(argv[2]) : 3);
  const std::string schema = absl::StrCat("bench_", getpid());

  auto make = [&](bool group_commit) {
    PgEnroleeStoreOptions o;
    o.pool.conninfo = conninfo;
    o.pool.schema = schema;
    // One-transaction-per-row needs a connection per caller to be fair; group commit needs few.
    o.pool.max_size = group_commit ? 4 : 64;
    o.group_commit = group_commit;
    return PgEnroleeStore::Create(o);
  };
  auto grouped = make(true);
  if (!grouped.ok()) {
    std::fprintf(stderr, "store: %s\n", grouped.status().ToString().c_str());
    return 1;
  }
  auto single = make(false);
  if (!single.ok()) {
    std::fprintf(stderr, "store: %s\n", single.status().ToString().c_str());
    return 1;
  }
  Enrolee e;
  e.kpm_id = "bench-enrolee";
  e.kpm = SealedKey{std::string(60, '\x11'), 1};
  e.enrolee_id = "C-bench";
  e.maf_id = "maf.example.com";
  e.enrolment_lifetime = absl::Hours(24);
  if (auto s = (*grouped)->CreateEnrolee(e); !s.ok()) {
    std::fprintf(stderr, "create: %s\n", s.status().ToString().c_str());
    return 1;
  }

  std::printf("durable RecordEnrolment throughput (synchronous_commit=on), %s per case\n",
              absl::FormatDuration(per_case).c_str());
  std::printf("%-26s %8s %12s %10s %7s\n", "mode", "callers", "rows/s", "rows", "errors");
  for (int callers : {1, 16, 64}) {
    for (bool group : {true, false}) {
      EnroleeStore& store = group ? **grouped : **single;
      Result r = Run(store, callers, per_case, absl::StrCat(group ? "g" : "s", callers));
      std::printf("%-26s %8d %12.0f %10lld %7lld\n",
                  group ? "group commit" : "one transaction per row", callers, r.per_second,
                  static_cast<long long>(r.rows), static_cast<long long>(r.errors));
      std::fflush(stdout);
    }
  }
  grouped->reset();
  single->reset();
  try {
    pqxx::connection c(conninfo);
    pqxx::nontransaction n(c);
    n.exec(absl::StrCat("DROP SCHEMA IF EXISTS ", n.quote_name(schema), " CASCADE"));
  } catch (const std::exception&) {
    std::fprintf(stderr, "could not drop schema %s\n", schema.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace mef
}  // namespace onem2m

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  return onem2m::mef::Main(argc, argv);
}
