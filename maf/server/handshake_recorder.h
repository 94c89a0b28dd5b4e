// File: maf/server/handshake_recorder.h
//
// HandshakeRecorder keeps the admin view's "last handshake" of each credential (last_transport,
// last_handshake_time in ListCredentials, FindCredential and the client reads) without putting a
// database write on the handshake path:
//   - Note runs on the I/O thread when a handshake completes and only touches memory;
//   - a background thread ("maf-hs-record") writes the notes every `flush_every`, in batches of
//     MafStore::RecordHandshakes (one statement each);
//   - at most one note per Km per `interval` leaves this replica (the store applies the same rule
//     across replicas), so a reconnect storm is not a write storm;
//   - a failed write (the database away) keeps its notes for the next flush, the newer note of a
//     Km winning, up to `max_pending` notes; past that new Km are dropped and counted. The view is
//     advisory: an outage delays it and never fails or slows a handshake.
// Only completed handshakes are noted (the peer proved it holds Km), so the notes say nothing
// about identities that were refused.
//
//   HandshakeRecorder recorder(store, HandshakeRecorderOptions{});
//   recorder.Note(km_id, Transport::kTls);  // on each completed handshake
#ifndef ONEM2M_MAF_SERVER_HANDSHAKE_RECORDER_H_
#define ONEM2M_MAF_SERVER_HANDSHAKE_RECORDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/crypto/key_id.h"
#include "common/time/clock.h"
#include "maf/store/maf_store.h"

namespace onem2m::maf {

struct HandshakeRecorderOptions {
  absl::Duration interval = kHandshakeRecordInterval;  // one note per Km per interval
  absl::Duration flush_every = absl::Seconds(1);       // zero: no thread (tests call Flush)
  size_t max_pending = 100000;                         // notes held while the store is away
  size_t batch = 1000;                                 // notes per RecordHandshakes call
  const Clock* clock = Clock::Real();                  // not owned
  // on_notes hears how many notes were "written", "failed" (kept for the next flush) or
  // "dropped" (metrics); called without the recorder's lock held. May be empty.
  std::function<void(absl::string_view outcome, int64_t n)> on_notes;
};

struct HandshakeRecorderStats {
  int64_t noted = 0;           // Note calls
  int64_t written = 0;         // notes in batches the store accepted
  int64_t failed_batches = 0;  // RecordHandshakes calls that failed (their notes kept)
  int64_t dropped = 0;         // notes dropped because max_pending were held
};

class HandshakeRecorder {
 public:
  // `store` must outlive the recorder.
  HandshakeRecorder(MafStore* store, HandshakeRecorderOptions options);
  // Stops the thread and writes what is pending once more (best effort), unless the last write
  // failed: with the database away a final write would only hold up the shutdown by the pool's
  // timeouts, and the notes are advisory.
  ~HandshakeRecorder();
  HandshakeRecorder(const HandshakeRecorder&) = delete;
  HandshakeRecorder& operator=(const HandshakeRecorder&) = delete;

  // Note records a completed handshake with `km_id` over `transport` now. Never blocks on the
  // store.
  void Note(const crypto::KeyId& km_id, Transport transport);

  // Flush writes the pending notes now; the store's error if a batch failed (its notes are kept).
  absl::Status Flush();

  HandshakeRecorderStats stats() const;
  // tracked is how many Km the recorder remembers having noted (at most two intervals' worth).
  size_t tracked() const;

 private:
  void Run();

  MafStore* const store_;
  const HandshakeRecorderOptions o_;
  absl::Mutex flush_mu_;  // one Flush at a time, so a failed batch's notes go back in order
  mutable absl::Mutex mu_;
  // When each Km was last noted here, in two generations: Flush retires `older_` and moves
  // `recent_` into its place once per interval, so memory holds the Km of at most two intervals
  // and no lock is held over a walk of a fleet-sized map.
  absl::flat_hash_map<std::string, absl::Time> recent_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> older_ ABSL_GUARDED_BY(mu_);
  absl::Time rotated_at_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, HandshakeRecord> pending_ ABSL_GUARDED_BY(mu_);
  HandshakeRecorderStats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool last_write_failed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace onem2m::maf

#endif  // ONEM2M_MAF_SERVER_HANDSHAKE_RECORDER_H_
