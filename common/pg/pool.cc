#include "common/pg/pool.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/pg/status.h"
#include "pqxx/nontransaction"
#include "pqxx/transaction"

namespace onem2m {
namespace pg {
namespace {

// PasswordOf extracts the password from a key=value or URI conninfo so that it can be scrubbed from
// any error message. Best effort: libpq itself never echoes it.
std::string PasswordOf(absl::string_view conninfo) {
  if (absl::StartsWith(conninfo, "postgres://") || absl::StartsWith(conninfo, "postgresql://")) {
    absl::string_view rest = conninfo.substr(conninfo.find("//") + 2);
    size_t at = rest.find('@');
    if (at == absl::string_view::npos) return "";
    absl::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) return "";
    return std::string(userinfo.substr(colon + 1));
  }
  size_t pos = conninfo.find("password");
  if (pos == absl::string_view::npos) return "";
  pos = conninfo.find('=', pos);
  if (pos == absl::string_view::npos) return "";
  ++pos;
  while (pos < conninfo.size() && conninfo[pos] == ' ') ++pos;
  std::string out;
  if (pos < conninfo.size() && conninfo[pos] == '\'') {
    for (++pos; pos < conninfo.size() && conninfo[pos] != '\''; ++pos) {
      if (conninfo[pos] == '\\' && pos + 1 < conninfo.size()) ++pos;
      out.push_back(conninfo[pos]);
    }
  } else {
    while (pos < conninfo.size() && conninfo[pos] != ' ') out.push_back(conninfo[pos++]);
  }
  return out;
}

std::string WithParam(const std::string& conninfo, absl::string_view key, absl::string_view value) {
  const bool uri =
      absl::StartsWith(conninfo, "postgres://") || absl::StartsWith(conninfo, "postgresql://");
  if (uri) {
    return absl::StrCat(conninfo, absl::StrContains(conninfo, "?") ? "&" : "?", key, "=", value);
  }
  return absl::StrCat(conninfo, " ", key, "='", value, "'");
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(PoolOptions options) {
  if (options.conninfo.empty()) {
    return absl::InvalidArgumentError("pg pool: empty connection string");
  }
  if (options.max_size < 1) return absl::InvalidArgumentError("pg pool: max_size must be >= 1");
  if (options.connect_timeout < absl::Seconds(1)) options.connect_timeout = absl::Seconds(1);
  return std::unique_ptr<ConnectionPool>(new ConnectionPool(std::move(options)));
}

ConnectionPool::ConnectionPool(PoolOptions options) : options_(std::move(options)) {
  // libpq takes whole seconds; round up so a short timeout never becomes "wait forever" (0).
  const int64_t secs = absl::ToInt64Seconds(absl::Ceil(options_.connect_timeout, absl::Seconds(1)));
  full_conninfo_ = WithParam(options_.conninfo, "connect_timeout", absl::StrCat(secs));
  if (options_.tcp_user_timeout > absl::ZeroDuration() &&
      !absl::StrContains(options_.conninfo, "tcp_user_timeout")) {
    full_conninfo_ = WithParam(full_conninfo_, "tcp_user_timeout",
                               absl::StrCat(absl::ToInt64Milliseconds(options_.tcp_user_timeout)));
  }
  if (!options_.application_name.empty() &&
      !absl::StrContains(options_.conninfo, "application_name")) {
    full_conninfo_ = WithParam(full_conninfo_, "application_name", options_.application_name);
  }
}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectionPool::Connect() {
  const std::string password = PasswordOf(options_.conninfo);
  try {
    auto conn = std::make_unique<pqxx::connection>(full_conninfo_);
    // libpqxx 6 would otherwise silently reconnect outside a transaction, losing session settings
    // and prepared statements; the pool replaces broken connections itself.
    conn->inhibit_reactivation(true);
    {
      pqxx::nontransaction n(*conn);
      // Durability of RecordEnrolment relies on this, whatever the server default is.
      n.exec("SET synchronous_commit = on");
      n.exec(absl::StrCat("SET statement_timeout = ",
                          absl::ToInt64Milliseconds(options_.statement_timeout)));
      if (!options_.schema.empty()) {
        n.exec(absl::StrCat("SET search_path TO ", n.quote_name(options_.schema)));
      }
      if (options_.prefer_indexes) n.exec("SET enable_seqscan = off");
      if (options_.generic_plans) n.exec("SET plan_cache_mode = force_generic_plan");
    }
    for (const auto& [name, sql] : options_.prepare) conn->prepare(name, sql);
    return conn;
  } catch (...) {
    absl::Status s = CurrentExceptionToStatus("connect to database");
    if (password.empty()) return s;
    absl::Status scrubbed(s.code(), ScrubSecret(s.message(), password));
    if (IsConnectionLoss(s)) {
      // Keep the connection-loss marker.
      s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        scrubbed.SetPayload(url, payload);
      });
    }
    return scrubbed;
  }
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectionPool::Acquire(bool* out_fresh) {
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.max_size;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&available), options_.acquire_timeout)) {
      return absl::UnavailableError(absl::StrCat("pg pool: all ", options_.max_size,
                                                 " connections busy for ",
                                                 absl::FormatDuration(options_.acquire_timeout)));
    }
    if (!idle_.empty()) {
      std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
      idle_.pop_back();
      *out_fresh = false;
      return conn;
    }
    ++open_;  // reserve the slot while connecting without the lock
  }
  absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = Connect();
  absl::MutexLock lock(&mu_);
  if (!conn.ok()) {
    --open_;
    return conn.status();
  }
  ++made_;
  *out_fresh = true;
  return conn;
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  if (broken) {
    // A lost connection usually means the server restarted or failed over, which killed the idle
    // ones too; dropping them now means the next write meets a fresh connection instead of failing
    // once per stale connection.
    std::vector<std::unique_ptr<pqxx::connection>> stale;
    {
      absl::MutexLock lock(&mu_);
      stale.swap(idle_);
      open_ -= 1 + static_cast<int>(stale.size());
    }
    conn.reset();  // close outside the lock
    return;
  }
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(conn));
}

absl::Status ConnectionPool::RunOnce(absl::string_view what,
                                     const std::function<absl::Status(pqxx::connection&)>& fn,
                                     bool* out_fresh) {
  absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = Acquire(out_fresh);
  if (!conn.ok()) return conn.status();
  absl::Status s;
  try {
    s = fn(**conn);
  } catch (...) {
    s = CurrentExceptionToStatus(what);
  }
  bool broken = IsConnectionLoss(s);
  if (!broken) {
    try {
      broken = !(*conn)->is_open();
    } catch (...) {
      broken = true;
    }
  }
  Release(*std::move(conn), broken);
  return s;
}

absl::Status ConnectionPool::Run(const std::function<absl::Status(pqxx::connection&)>& fn) {
  return Run("database", fn);
}

absl::Status ConnectionPool::Run(absl::string_view what,
                                 const std::function<absl::Status(pqxx::connection&)>& fn) {
  bool fresh = false;
  return RunOnce(what, fn, &fresh);
}

absl::Status ConnectionPool::RunRead(const std::function<absl::Status(pqxx::connection&)>& fn) {
  return RunRead("database", fn);
}

absl::Status ConnectionPool::RunRead(absl::string_view what,
                                     const std::function<absl::Status(pqxx::connection&)>& fn) {
  bool fresh = false;
  absl::Status s = RunOnce(what, fn, &fresh);
  // Only a pooled (possibly stale) connection earns a retry; a fresh one failing means the
  // database really is down and retrying would just double the latency.
  if (IsConnectionLoss(s) && !fresh) s = RunOnce(what, fn, &fresh);
  return s;
}

absl::Status ConnectionPool::Ping() {
  return RunRead([](pqxx::connection& c) {
    pqxx::nontransaction n(c);
    n.exec("SELECT 1");
    return absl::OkStatus();
  });
}

int ConnectionPool::open_connections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

int64_t ConnectionPool::connections_made() const {
  absl::MutexLock lock(&mu_);
  return made_;
}

void AllowWholeTableScans(pqxx::transaction_base& t) { t.exec0("SET LOCAL enable_seqscan = on"); }

}  // namespace pg
}  // namespace onem2m
