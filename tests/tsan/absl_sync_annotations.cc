// ThreadSanitizer annotations for Debian's (uninstrumented) Abseil synchronization library.
//
// Debian ships libabsl_synchronization built without -fsanitize=thread, so TSan sees neither the
// lock nor the unlock of an absl::Mutex and reports every access it guards as a race. This file,
// linked into every test binary of `--config=tsan` only (third_party:gtest*), defines the
// exported absl::Mutex / CondVar / Notification entry points itself: each calls the real one
// (found with dlsym(RTLD_NEXT)) and tells TSan what happened through its mutex and
// acquire/release annotation API. Symbol interposition makes every caller use these, including
// the shared libraries (gRPC) that lock absl::Mutexes.
//
// Modelling: Lock/ReaderLock/TryLock/LockWhen* are lock events on the Mutex's address; Unlock is
// an unlock event. Await* and CondVar::Wait* release and re-acquire the mutex inside Abseil; they
// are modelled as an unlock before the call and a lock after it. Notification::Notify is a
// release on the Notification and a successful wait an acquire. Destruction is not annotated:
// TSan drops a heap mutex's state when its memory is freed, and gRPC frees its own mutexes after
// reference counts TSan cannot see.
#include <sanitizer/tsan_interface.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "tests/tsan/next_symbol.h"

namespace {

// Real looks up the next definition of `mangled` (the one in libabsl_synchronization).
template <typename Fn>
Fn Real(const char* mangled) {
  return onem2m::tsan::NextSymbol<Fn>(mangled, "absl");
}

// The mangled names carry Debian's inline namespace (absl::debian3 = 7debian3).
#define ABSL_NS "N4absl7debian3"

// Abseil calls some of these entry points from others (WaitWithTimeout -> WaitWithDeadline,
// Notify -> Mutex::Lock); only the outermost call on a thread is annotated.
thread_local int nesting = 0;
struct Nest {
  Nest() { ++nesting; }
  ~Nest() { --nesting; }
  bool outer() const { return nesting == 1; }
};

void PreLock(void* m, unsigned flags) {
  if (nesting == 1) __tsan_mutex_pre_lock(m, flags);
}
void PostLock(void* m, unsigned flags) {
  if (nesting == 1) __tsan_mutex_post_lock(m, flags, 0);
}
void PreUnlock(void* m, unsigned flags) {
  if (nesting == 1) __tsan_mutex_pre_unlock(m, flags);
}
void PostUnlock(void* m, unsigned flags) {
  if (nesting == 1) __tsan_mutex_post_unlock(m, flags);
}

// An Await-style call holds the mutex on entry and exit but releases it while waiting; Abseil
// evaluates the wait's Condition (our code, reading guarded state) while holding it, on this or
// the unlocking thread. TSan ignores a thread's memory accesses between the pre- and post-unlock
// annotations, so the whole wait sits between them: a release before, an acquire after.
struct HeldAcrossWait {
  HeldAcrossWait(void* m, unsigned flags) : m(m), flags(flags) { PreUnlock(m, flags); }
  ~HeldAcrossWait() {
    PostUnlock(m, flags);
    PreLock(m, flags);
    PostLock(m, flags);
  }
  void* m;
  unsigned flags;
};

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static auto real = Real<void (*)(Mutex*)>("_Z" ABSL_NS "5Mutex4LockEv");
  Nest nest;
  PreLock(this, 0);
  real(this);
  PostLock(this, 0);
}

void Mutex::Unlock() {
  static auto real = Real<void (*)(Mutex*)>("_Z" ABSL_NS "5Mutex6UnlockEv");
  Nest nest;
  PreUnlock(this, 0);
  real(this);
  PostUnlock(this, 0);
}

void Mutex::ReaderLock() {
  static auto real = Real<void (*)(Mutex*)>("_Z" ABSL_NS "5Mutex10ReaderLockEv");
  Nest nest;
  PreLock(this, __tsan_mutex_read_lock);
  real(this);
  PostLock(this, __tsan_mutex_read_lock);
}

void Mutex::ReaderUnlock() {
  static auto real = Real<void (*)(Mutex*)>("_Z" ABSL_NS "5Mutex12ReaderUnlockEv");
  Nest nest;
  PreUnlock(this, __tsan_mutex_read_lock);
  real(this);
  PostUnlock(this, __tsan_mutex_read_lock);
}

bool Mutex::TryLock() {
  static auto real = Real<bool (*)(Mutex*)>("_Z" ABSL_NS "5Mutex7TryLockEv");
  Nest nest;
  PreLock(this, __tsan_mutex_try_lock);
  bool ok = real(this);
  if (nest.outer()) {
    __tsan_mutex_post_lock(this, ok ? __tsan_mutex_try_lock : __tsan_mutex_try_lock_failed, 0);
  }
  return ok;
}

bool Mutex::ReaderTryLock() {
  static auto real = Real<bool (*)(Mutex*)>("_Z" ABSL_NS "5Mutex13ReaderTryLockEv");
  Nest nest;
  const unsigned f = __tsan_mutex_read_lock | __tsan_mutex_try_lock;
  PreLock(this, f);
  bool ok = real(this);
  if (nest.outer()) {
    __tsan_mutex_post_lock(this, ok ? f : (__tsan_mutex_read_lock | __tsan_mutex_try_lock_failed),
                           0);
  }
  return ok;
}

void Mutex::LockWhen(const Condition& cond) {
  static auto real =
      Real<void (*)(Mutex*, const Condition&)>("_Z" ABSL_NS "5Mutex8LockWhenERKNS0_9ConditionE");
  Nest nest;
  PreLock(this, 0);
  real(this, cond);
  PostLock(this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      "_Z" ABSL_NS "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Nest nest;
  PreLock(this, __tsan_mutex_read_lock);
  real(this, cond);
  PostLock(this, __tsan_mutex_read_lock);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "_Z" ABSL_NS "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Nest nest;
  PreLock(this, 0);
  bool r = real(this, cond, timeout);
  PostLock(this, 0);
  return r;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "_Z" ABSL_NS "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Nest nest;
  PreLock(this, 0);
  bool r = real(this, cond, deadline);
  PostLock(this, 0);
  return r;
}

void Mutex::Await(const Condition& cond) {
  static auto real =
      Real<void (*)(Mutex*, const Condition&)>("_Z" ABSL_NS "5Mutex5AwaitERKNS0_9ConditionE");
  Nest nest;
  HeldAcrossWait wait(this, 0);
  real(this, cond);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "_Z" ABSL_NS "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Nest nest;
  HeldAcrossWait wait(this, 0);
  return real(this, cond, timeout);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "_Z" ABSL_NS "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Nest nest;
  HeldAcrossWait wait(this, 0);
  return real(this, cond, deadline);
}

void CondVar::Wait(Mutex* mu) {
  static auto real = Real<void (*)(CondVar*, Mutex*)>("_Z" ABSL_NS "7CondVar4WaitEPNS0_5MutexE");
  Nest nest;
  HeldAcrossWait wait(mu, 0);
  real(this, mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, absl::Duration)>(
      "_Z" ABSL_NS "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Nest nest;
  HeldAcrossWait wait(mu, 0);
  return real(this, mu, timeout);
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, absl::Time)>(
      "_Z" ABSL_NS "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Nest nest;
  HeldAcrossWait wait(mu, 0);
  return real(this, mu, deadline);
}

void Notification::Notify() {
  static auto real = Real<void (*)(Notification*)>("_Z" ABSL_NS "12Notification6NotifyEv");
  Nest nest;
  if (nest.outer()) __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real =
      Real<void (*)(const Notification*)>("_ZNK4absl7debian312Notification19WaitForNotificationEv");
  Nest nest;
  real(this);
  if (nest.outer()) __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static auto real = Real<bool (*)(const Notification*, absl::Duration)>(
      "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  Nest nest;
  bool r = real(this, timeout);
  if (r && nest.outer()) __tsan_acquire(const_cast<Notification*>(this));
  return r;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static auto real = Real<bool (*)(const Notification*, absl::Time)>(
      "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  Nest nest;
  bool r = real(this, deadline);
  if (r && nest.outer()) __tsan_acquire(const_cast<Notification*>(this));
  return r;
}

ABSL_NAMESPACE_END
}  // namespace absl
