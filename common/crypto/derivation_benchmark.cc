// Benchmarks of the protocol's key derivations and envelope encryption.
//   bazel run -c opt //common/crypto:derivation_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "common/crypto/envelope.h"
#include "common/crypto/key_derivation.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace crypto {
namespace {

void BM_SplitExport48AndKeId(benchmark::State& state) {
  const SecretBytes export48 = SecretBytes::Random(kExportLen);
  for (auto _ : state) {
    absl::StatusOr<DerivedKey> ke = KeyFromExport(export48, "mef.example.com");
    benchmark::DoNotOptimize(ke);
  }
}
BENCHMARK(BM_SplitExport48AndKeId);

void BM_DeriveKm(benchmark::State& state) {
  const SecretBytes ke = SecretBytes::Random(kDerivedKeyLen);
  for (auto _ : state) {
    absl::StatusOr<SecretBytes> km = DeriveKm(ke, "maf.example.com");
    benchmark::DoNotOptimize(km);
  }
}
BENCHMARK(BM_DeriveKm);

void BM_DeriveKmId(benchmark::State& state) {
  const SecretBytes km = SecretBytes::Random(kDerivedKeyLen);
  for (auto _ : state) {
    absl::StatusOr<std::string> km_id = DeriveKmId(km, "maf.example.com");
    benchmark::DoNotOptimize(km_id);
  }
}
BENCHMARK(BM_DeriveKmId);

void BM_Seal(benchmark::State& state) {
  const Envelope env(Keyring::Generate());
  const SecretBytes secret = SecretBytes::Random(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<std::string> blob =
        env.Seal(secret, "458DEF9EE9DA81147F6262CCDDD04930@mef.example.com");
    benchmark::DoNotOptimize(blob);
  }
}
BENCHMARK(BM_Seal)->Arg(32)->Arg(64);

void BM_Open(benchmark::State& state) {
  const Envelope env(Keyring::Generate());
  const SecretBytes secret = SecretBytes::Random(static_cast<size_t>(state.range(0)));
  const std::string aad = "458DEF9EE9DA81147F6262CCDDD04930@mef.example.com";
  const std::string blob = *env.Seal(secret, aad);
  for (auto _ : state) {
    absl::StatusOr<SecretBytes> back = env.Open(blob, aad);
    benchmark::DoNotOptimize(back);
  }
}
BENCHMARK(BM_Open)->Arg(32)->Arg(64);

}  // namespace
}  // namespace crypto
}  // namespace onem2m
