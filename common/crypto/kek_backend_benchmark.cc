// Seal+Open of a 32-byte secret (one row's key) with the file keyring against a PKCS#11 token
// (SoftHSM2 in a private temporary token directory), in the same run:
//   bazel run -c opt //common/crypto:kek_backend_benchmark
// Each iteration seals and opens once; items_per_second is Seal+Open pairs per second. The
// threaded variants show how the token's session pool (8 sessions) scales.
#include <cstdlib>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "common/crypto/envelope.h"
#include "common/crypto/pkcs11_kek_backend.h"
#include "common/secret_bytes.h"
#include "common/testing/softhsm_token.h"

namespace onem2m {
namespace crypto {
namespace {

constexpr char kAad[] = "458DEF9EE9DA81147F6262CCDDD04930@mef.example.com";

const Envelope& FileEnvelope() {
  static const Envelope* const env = new Envelope(Keyring::Generate(1));
  return *env;
}

const Envelope& TokenEnvelope() {
  static const Envelope* const env = [] {
    char tmpl[] = "/tmp/kek_bench_XXXXXX";
    const char* dir = mkdtemp(tmpl);
    absl::StatusOr<testing::SoftHsmToken> token =
        testing::SoftHsmToken::Create(std::string(dir) + "/hsm");
    if (!token.ok()) std::abort();
    Pkcs11Config config;
    config.module_path = testing::kSoftHsmModule;
    config.token_label = token->label();
    config.pin = SecretBytes::Copy(token->pin());
    config.sessions = 8;
    absl::StatusOr<std::shared_ptr<Pkcs11KekBackend>> b = Pkcs11KekBackend::Connect(config);
    if (!b.ok() || !(*b)->GenerateKek(2).ok()) std::abort();
    absl::StatusOr<Envelope> e = Envelope::Create({*b}, 2);
    if (!e.ok()) std::abort();
    return new Envelope(*std::move(e));
  }();
  return *env;
}

void SealOpen(benchmark::State& state, const Envelope& env) {
  const SecretBytes secret = SecretBytes::Random(32);
  for (auto _ : state) {
    absl::StatusOr<std::string> blob = env.Seal(secret, kAad);
    absl::StatusOr<SecretBytes> back = env.Open(*blob, kAad);
    if (!back.ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SealOpenFile(benchmark::State& state) { SealOpen(state, FileEnvelope()); }
BENCHMARK(BM_SealOpenFile)->Threads(1)->Threads(2)->UseRealTime();

void BM_SealOpenPkcs11(benchmark::State& state) { SealOpen(state, TokenEnvelope()); }
BENCHMARK(BM_SealOpenPkcs11)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace crypto
}  // namespace onem2m
