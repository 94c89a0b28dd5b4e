#include "mef/credential/revocation_feed.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onem2m {
namespace mef {
namespace {

namespace v1 = ::onem2m::rsp::v1;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast()) t = absl::UnixEpoch();
  const int64_t s = absl::ToUnixSeconds(t);
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
}

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string FormatCursor(int64_t seq) { return absl::StrCat("s", seq); }

absl::StatusOr<int64_t> ParseCursor(absl::string_view cursor) {
  // Strict: "s" then 1..19 ASCII digits, so "s+1", "s 1" or "s01x" are rejected, not trimmed.
  int64_t seq = 0;
  if (cursor.size() < 2 || cursor.size() > 20 || cursor[0] != 's' ||
      !std::all_of(cursor.begin() + 1, cursor.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(cursor.substr(1), &seq) || seq < 0) {
    return absl::InvalidArgumentError("malformed resume_cursor");
  }
  return seq;
}

EnroleeDirectory::EnroleeDirectory(EnroleeStore* store, size_t max_entries)
    : store_(store), max_entries_(max_entries) {}

void EnroleeDirectory::Remember(absl::string_view kpm_id, Entry entry) {
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= max_entries_ && !entries_.contains(kpm_id)) entries_.clear();
  entries_[kpm_id] = std::move(entry);
}

absl::StatusOr<EnroleeDirectory::Entry> EnroleeDirectory::Lookup(absl::string_view kpm_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(kpm_id);
    if (it != entries_.end()) return it->second;
  }
  absl::StatusOr<Enrolee> e = store_->GetEnrolee(kpm_id);
  if (!e.ok()) return e.status();
  Entry entry{e->enrolee_id, e->maf_id};
  Remember(kpm_id, entry);
  return entry;
}

absl::StatusOr<std::optional<v1::RevocationEvent>> MapStateChange(
    const StateChange& change, const std::vector<std::string>& caller_names,
    EnroleeDirectory* directory) {
  v1::RevocationEvent ev;
  switch (change.kind) {
    case StateChange::Kind::kEnroleeState:
      if (change.state == EnroleeState::kDisabled) {
        ev.set_kind(v1::RevocationEvent::KIND_ENROLEE_DISABLED);
      } else if (change.state == EnroleeState::kRevoked) {
        ev.set_kind(v1::RevocationEvent::KIND_ENROLEE_REVOKED);
      } else {
        return std::nullopt;  // re-enabled: nothing to drop
      }
      break;
    case StateChange::Kind::kEnroleeDeleted:
      ev.set_kind(v1::RevocationEvent::KIND_ENROLEE_DELETED);
      break;
    case StateChange::Kind::kEnrolmentRevoked:
      ev.set_kind(v1::RevocationEvent::KIND_ENROLMENTS_INVALIDATED);
      ev.add_ke_ids(change.ke_id.ToString());
      break;
  }
  ev.set_cursor(FormatCursor(change.seq));
  SetTime(change.changed_at, ev.mutable_time());

  absl::StatusOr<EnroleeDirectory::Entry> who = directory->Lookup(change.kpm_id);
  if (who.ok()) {
    if (!Contains(caller_names, who->maf_id)) return std::nullopt;
    ev.set_enrolee_id(who->enrolee_id);
    return ev;
  }
  if (who.status().code() != absl::StatusCode::kNotFound) return who.status();
  // Unresolvable: see the routing rule in the header.
  if (change.kind == StateChange::Kind::kEnrolmentRevoked) return ev;
  return std::nullopt;
}

}  // namespace mef
}  // namespace onem2m
