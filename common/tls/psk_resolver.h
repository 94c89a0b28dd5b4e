// File: common/tls/psk_resolver.h
//
// PskResolver is how a server finds the key for the psk_identity a client presents (TLS 1.2
// ClientKeyExchange, RFC 4279). The MEF maps KpmID -> Kpm; the MAF maps KeID/KmID -> Km and may
// fetch remotely, so a lookup may block. To keep that off the threads driving handshakes, a
// resolver whose SupportsAsync() is true answers ResolveAsync through a callback, and a session
// with an async-ready callback (PskSession::EnableAsyncLookup) pauses its handshake
// (Step::kWantAsync, an OpenSSL ASYNC job) until the answer arrives. Nothing blocks, and the
// resolver may batch lookups from many sessions into one database read.
//
//   class StoreResolver : public PskResolver {
//    public:
//     absl::StatusOr<ResolvedPsk> Resolve(absl::string_view identity) override {
//       return store_->LookupActiveKpm(identity);   // NotFound for unknown/disabled/revoked
//     }
//   };
//
// A found key may carry a PskKeyContext: what the resolver learnt about the identity with it (the
// MEF's enrolee row, the MAF's KmID and Enrolee-ID). It travels with the answer into the session's
// own state, and the code that runs after the handshake reads it with PskSession::psk_context<T>(),
// so it never looks the identity up a second time and two sessions presenting the same identity
// never see each other's answer.
//
// A resolver's answer is one of three (docs/protocol.md 2):
//   - a key of 16..64 bytes: the handshake goes on with it;
//   - "this identity is unusable" (unknown, disabled, revoked, expired, undecryptable: any error
//     for which IsPskLookupFailure is false, normally kNotFound): the handshake continues with a
//     random per-process dummy key and fails exactly as a wrong key would; the peer cannot tell.
//     A resolver should spend the same time on this answer as on a found key;
//   - "the lookup itself failed" (IsPskLookupFailure: store or upstream down, timeout, overload):
//     the server aborts the handshake with the internal_error alert (RFC 5246 7.2.2), which says
//     nothing about the identity (every identity gets it during an outage) and lets the device
//     retry with backoff instead of concluding that its key is wrong.
// The server learns the outcome from PskSession::psk_lookup().
#ifndef ONEM2M_COMMON_TLS_PSK_RESOLVER_H_
#define ONEM2M_COMMON_TLS_PSK_RESOLVER_H_

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_bytes.h"

namespace onem2m {
namespace tls {

// PskLookup is what the server's resolver said about the presented identity
// (PskSession::psk_lookup). For metrics and logs only; never sent to the peer.
enum class PskLookup {
  kNotAsked,  // No ClientKeyExchange processed (yet), or a client session.
  kFound,     // The resolver returned a usable key (the handshake may still fail: wrong key).
  kNotFound,  // kNotFound from the resolver; the dummy key was used.
  kFailed,  // Another "unusable identity" error, or an unusable key length; the dummy key was used.
  kLookupFailed,  // The lookup itself failed (IsPskLookupFailure): aborted with internal_error.
};

// IsPskLookupFailure tells whether a resolver's error means the lookup failed (kUnavailable,
// kDeadlineExceeded, kResourceExhausted, kAborted) rather than "this identity is unusable" (every
// other code). A resolver must only use these codes for failures that do not depend on which
// identity was asked (the whole store or upstream is down or overloaded), since the peer sees the
// difference.
inline bool IsPskLookupFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

// PskKeyContext is the base of what a resolver hands the session along with a found key. Each
// resolver derives its own small, immutable type; the session's consumer reads it back as that
// type (PskSession::psk_context<T>). It must not hold key bytes in the clear: the key itself is
// ResolvedPsk::key, and the session state that keeps the context outlives the handshake.
class PskKeyContext {
 public:
  virtual ~PskKeyContext() = default;
};

// ResolvedPsk is a resolver's found key and, optionally, its context (null: none).
struct ResolvedPsk {
  // Implicit, so that a resolver with nothing to add answers with the bare key.
  ResolvedPsk(SecretBytes k) : key(std::move(k)) {}  // NOLINT(google-explicit-constructor)
  ResolvedPsk(SecretBytes k, std::shared_ptr<const PskKeyContext> c)
      : key(std::move(k)), context(std::move(c)) {}

  SecretBytes key;
  std::shared_ptr<const PskKeyContext> context;
};

class PskResolver {
 public:
  using ResolveDone = std::function<void(absl::StatusOr<ResolvedPsk>)>;

  virtual ~PskResolver() = default;

  // Resolve returns the PSK for `identity` (with its context, if any), kNotFound if there is none
  // usable, or another error. It is called from inside the handshake on the thread driving it,
  // once per handshake, and must be thread-safe. `identity` is only valid during the call. Must
  // not throw.
  virtual absl::StatusOr<ResolvedPsk> Resolve(absl::string_view identity) = 0;

  // SupportsAsync tells sessions with an async-ready callback to use ResolveAsync instead.
  virtual bool SupportsAsync() const { return false; }

  // ResolveAsync answers like Resolve, through `done`, exactly once, on any thread, possibly before
  // it returns (an answer at hand, e.g. from a cache, costs no pause). It must not block, and must
  // answer in bounded time (its own deadline), since the paused handshake holds its session.
  virtual void ResolveAsync(absl::string_view identity, ResolveDone done) {
    done(Resolve(identity));
  }
};

// FunctionPskResolver adapts a callable that returns a bare key (handy in tests and small tools).
class FunctionPskResolver : public PskResolver {
 public:
  using Fn = std::function<absl::StatusOr<SecretBytes>(absl::string_view)>;
  explicit FunctionPskResolver(Fn fn) : fn_(std::move(fn)) {}
  absl::StatusOr<ResolvedPsk> Resolve(absl::string_view identity) override { return fn_(identity); }

 private:
  Fn fn_;
};

}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_PSK_RESOLVER_H_
