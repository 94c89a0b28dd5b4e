// File: mef/credential/revocation_feed.h
//
// Pieces of WatchRevocations kept apart from the gRPC handler so they can be tested alone:
// - the stream cursor (opaque to clients; here "s<decimal change-feed seq>"),
// - EnroleeDirectory: kpm_id -> {enrolee_id, maf_id}, so a change-feed entry (which names only the
//   kpm_id) can be routed to the MAF it concerns and no MAF learns another MAF's KeIDs,
// - MapStateChange: one StateChange -> at most one RevocationEvent for a given set of caller names.
//
//   EnroleeDirectory dir(store);
//   std::optional<RevocationEvent> ev = MapStateChange(change, {"maf.example.com"}, &dir);
//
// Routing rule [documented choice]: an entry is sent to the caller only if its enrolee's maf_id is
// one of the caller's DNS names. When the enrolee can no longer be looked up (deleted before this
// MEF instance ever saw it), a kEnrolmentRevoked entry is sent to every watcher as
// KIND_ENROLMENTS_INVALIDATED with only the KeID: failing safe (a MAF must drop Km of a deleted
// enrolee) outweighs disclosing a KeID, which is not secret (the Enrolee sends it in clear as its
// PSK identity). An unresolvable kEnroleeDeleted entry is dropped: it would carry no identifier,
// and the enrolee's enrolments each have their own kEnrolmentRevoked entry just before it.
#ifndef ONEM2M_MEF_CREDENTIAL_REVOCATION_FEED_H_
#define ONEM2M_MEF_CREDENTIAL_REVOCATION_FEED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "mef/store/enrolee_store.h"
#include "proto/onem2m/rsp/v1/mef_credential.pb.h"

namespace onem2m {
namespace mef {

// FormatCursor returns the opaque cursor for change-feed position `seq`.
std::string FormatCursor(int64_t seq);

// ParseCursor parses a cursor made by FormatCursor; InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseCursor(absl::string_view cursor);

// EnroleeDirectory remembers which Enrolee-ID and MAF-ID belong to a kpm_id. An enrolee's MAF-ID
// cannot change through any API, so entries never go stale; the map is bounded (cleared when full)
// because it is only a cache in front of EnroleeStore::GetEnrolee. Thread-safe.
class EnroleeDirectory {
 public:
  struct Entry {
    std::string enrolee_id;
    std::string maf_id;
  };

  // `store` must outlive the directory.
  explicit EnroleeDirectory(EnroleeStore* store, size_t max_entries = 100000);

  // Remember records what a fetch (or anything else) already learnt.
  void Remember(absl::string_view kpm_id, Entry entry);

  // Lookup returns the entry, asking the store on a miss. kNotFound if the enrolee is gone and was
  // never seen; kUnavailable if the store is down.
  absl::StatusOr<Entry> Lookup(absl::string_view kpm_id);

 private:
  EnroleeStore* const store_;
  const size_t max_entries_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// MapStateChange converts `change` into the event a watcher with DNS names `caller_names` must get,
// or nullopt when it gets none (another MAF's enrolee, or a re-enable). The event's cursor is
// FormatCursor(change.seq). Errors: kUnavailable when the store cannot be asked.
absl::StatusOr<std::optional<rsp::v1::RevocationEvent>> MapStateChange(
    const StateChange& change, const std::vector<std::string>& caller_names,
    EnroleeDirectory* directory);

}  // namespace mef
}  // namespace onem2m

#endif  // ONEM2M_MEF_CREDENTIAL_REVOCATION_FEED_H_
