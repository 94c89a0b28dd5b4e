// PgEnroleeStore's enrolment reads (by KeID, batched for the credential fetch; paged lists),
// fetch grants and revocation of one enrolment.
#include "mef/store/pg_enrolee_rows.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m {
namespace mef {

using namespace pg_rows;  // NOLINT(build/namespaces): this store's own SQL and row helpers

absl::StatusOr<EnrolmentView> PgEnroleeStore::GetEnrolmentByKeId(const crypto::KeyId& ke_id) {
  return std::move(GetEnrolmentsByKeIds(absl::MakeConstSpan(&ke_id, 1))[0]);
}

std::vector<absl::StatusOr<EnrolmentView>> PgEnroleeStore::GetEnrolmentsByKeIds(
    absl::Span<const crypto::KeyId> ke_ids) {
  // The batched reader is keyed by the column's text, the canonical form.
  std::vector<std::string> texts;
  texts.reserve(ke_ids.size());
  for (const crypto::KeyId& ke_id : ke_ids) texts.push_back(ke_id.ToString());
  const std::vector<absl::string_view> keys(texts.begin(), texts.end());
  std::vector<absl::StatusOr<std::optional<EnrolmentView>>> answers =
      pg::ReadEach<EnrolmentView>(BatchFetch(&PgEnroleeStore::FetchEnrolmentViews), keys);
  std::vector<absl::StatusOr<EnrolmentView>> out;
  out.reserve(answers.size());
  for (auto& a : answers) out.push_back(RowOrNotFound(std::move(a), "enrolment not found"));
  return out;
}

absl::Status PgEnroleeStore::FetchEnrolmentViews(
    const std::vector<std::string>& ke_ids,
    absl::flat_hash_map<std::string, EnrolmentView>* found) {
  return ReadByKeys(
      *pool_, kGetEnrolmentViews, ke_ids, EnrolmentViewFromRow,
      [](const EnrolmentView& v) { return v.enrolment.ke_id.ToString(); }, found, "get enrolment");
}

absl::Status PgEnroleeStore::SetFetchGrants(absl::string_view kpm_id,
                                            const std::vector<FetchGrant>& grants) {
  if (grants.size() > kMaxFetchGrants) return absl::InvalidArgumentError("too many fetch grants");
  for (const FetchGrant& g : grants) {
    absl::Status v = ValidateFetchGrant(g);
    if (!v.ok()) return v;
  }
  const std::string id(kpm_id);
  return pool_->Run("set fetch grants", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    // Lock the enrolee so a concurrent delete cannot interleave with the replacement.
    if (w.exec_params("SELECT 1 FROM enrolees WHERE kpm_id = $1 FOR UPDATE", id).empty()) {
      return absl::NotFoundError("enrolee not found");
    }
    w.exec_params0("DELETE FROM enrolee_fetch_grants WHERE kpm_id = $1", id);
    InsertGrants(w, id, grants);
    w.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<FetchGrant>> PgEnroleeStore::GetFetchGrants(absl::string_view kpm_id) {
  const std::string id(kpm_id);
  std::vector<FetchGrant> out;
  absl::Status s = pool_->RunRead("get fetch grants", [&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction n(c);
    pqxx::result r =
        n.exec_params("SELECT " GRANT_LINES("e.kpm_id") " FROM enrolees e WHERE e.kpm_id = $1", id);
    if (r.empty()) return absl::NotFoundError("enrolee not found");
    if (r[0][0].is_null()) return absl::OkStatus();
    absl::StatusOr<std::vector<FetchGrant>> grants = ParseGrantLines(r[0][0].as<std::string>());
    if (!grants.ok()) return grants.status();
    out = *std::move(grants);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<ListEnrolmentsResponse> PgEnroleeStore::ListEnrolments(
    const ListEnrolmentsRequest& request) {
  absl::StatusOr<std::string> after = paging::DecodePageToken(request.page_token, kEnrolmentPages);
  if (!after.ok()) return after.status();
  const int page = paging::ClampPageSize(request.page_size);
  ListEnrolmentsResponse out;
  absl::Status s = pool_->RunRead("list enrolments", [&](pqxx::connection& c) -> absl::Status {
    out = ListEnrolmentsResponse();
    pqxx::nontransaction n(c);
    pqxx::result r =
        request.kpm_id
            ? n.exec_params(absl::StrCat("SELECT ", kEnrolmentCols,
                                         " FROM enrolments en WHERE en.kpm_id = $1"
                                         " AND en.ke_id > $2 ORDER BY en.kpm_id, en.ke_id"
                                         " LIMIT $3"),
                            *request.kpm_id, *after, page + 1)
            : n.exec_params(absl::StrCat("SELECT ", kEnrolmentCols,
                                         " FROM enrolments en WHERE en.ke_id > $1"
                                         " ORDER BY en.ke_id LIMIT $2"),
                            *after, page + 1);
    absl::StatusOr<std::string> next = pg::TakePage(
        r, page, EnrolmentFromRow, [](const Enrolment& e) { return e.ke_id.ToString(); },
        &out.enrolments);
    if (!next.ok()) return next.status();
    if (!next->empty()) out.next_page_token = paging::EncodePageToken(kEnrolmentPages, *next);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PgEnroleeStore::RevokeEnrolment(const crypto::KeyId& ke_id_parsed) {
  const std::string ke_id = ke_id_parsed.ToString();
  return pool_->Run("revoke enrolment", [&](pqxx::connection& c) -> absl::Status {
    pqxx::work w(c);
    int64_t seq = LockCounter(w);
    pqxx::result r =
        w.exec_params("SELECT kpm_id, revoked FROM enrolments WHERE ke_id = $1 FOR UPDATE", ke_id);
    if (r.empty()) return absl::NotFoundError("enrolment not found");
    if (!r[0][1].as<bool>()) {
      const std::string kpm_id = r[0][0].as<std::string>();
      w.exec_params0("UPDATE enrolments SET revoked = true WHERE ke_id = $1", ke_id);
      w.exec_params0(
          "INSERT INTO state_changes (seq, kind, kpm_id, ke_id) VALUES ($1, 'enrolment_revoked',"
          " $2, $3)",
          ++seq, kpm_id, ke_id);
      StoreCounter(w, seq);
    }
    w.commit();
    return absl::OkStatus();
  });
}

}  // namespace mef
}  // namespace onem2m
