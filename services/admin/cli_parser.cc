#include "services/admin/cli_parser.h"

#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/ops/build_info.h"

namespace onem2m {
namespace admin {
namespace {

// OptionSpec is one option of a command; `name` in dash form ("kpm-id").
struct OptionSpec {
  const char* name;
  const char* help;
  bool flag = false;
};

// CommandSpec is one runnable command; its path's parents are created on the way.
struct CommandSpec {
  std::vector<const char*> path;
  const char* help;
  std::vector<OptionSpec> options;
};

const OptionSpec kOutput{"output",
                         "text (default) or json (the API's messages, every page merged)"};
const OptionSpec kPageSize{"page-size", "rows per page (the server caps it)"};
const OptionSpec kPageToken{"page-token", "start at this page (a next_page_token printed before)"};
const OptionSpec kAll{"all", "follow next_page_token to the last page", true};
const OptionSpec kReason{"reason", "why (logged and audited; never a secret)"};
const OptionSpec kKpmId{"kpm-id", "the Enrolee's KpmID"};
const OptionSpec kKpmHex{"kpm-hex", "Kpm in hex (visible in the process list: prefer --kpm-file)"};
const OptionSpec kKpmFile{"kpm-file", "file holding the raw Kpm bytes (16..64); - reads stdin"};

std::vector<OptionSpec> ListOptions(std::vector<OptionSpec> own) {
  for (const OptionSpec& o : {kPageSize, kPageToken, kAll, kOutput}) own.push_back(o);
  return own;
}

const std::vector<CommandSpec>& Commands() {
  static const auto* c = new std::vector<CommandSpec>{
      // MEF (MefAdminService, --mef).
      {{"enrolee", "create"},
       "provision an Enrolee",
       {kKpmId,
        kKpmHex,
        kKpmFile,
        {"enrolee-id", "the Enrolee-ID (C...)"},
        {"maf-id", "FQDN of the Enrolee's MAF"},
        {"maf-uri", "URI of the MAF"},
        {"lifetime", "enrolment lifetime, e.g. 24h (default: the MEF's)"}}},
      {{"enrolee", "get"}, "show one Enrolee", {kKpmId, kOutput}},
      {{"enrolee", "list"},
       "list Enrolees (follows every page unless --page-token is given)",
       ListOptions({{"state", "active, disabled or revoked"}, {"maf-id", "only this MAF's"}})},
      {{"enrolee", "disable"}, "disable an Enrolee", {kKpmId, kReason}},
      {{"enrolee", "enable"}, "enable a disabled Enrolee", {kKpmId, kReason}},
      {{"enrolee", "revoke"}, "revoke an Enrolee for good (--reason required)", {kKpmId, kReason}},
      {{"enrolee", "delete"}, "delete an Enrolee and its enrolments", {kKpmId, kReason}},
      {{"enrolee", "rotate-kpm"},
       "replace the Enrolee's Kpm (revokes its enrolments)",
       {kKpmId, kKpmHex, kKpmFile, kReason}},
      {{"enrolee", "set-grants"},
       "replace the usage-constrained key fetch grants (TS-0003 10.3.7); none clears them",
       {kKpmId, {"grants", "space-separated TARGET_FQDN/SUID items"}}},
      {{"enrolments", "list"},
       "list an Enrolee's enrolments (follows every page unless --page-token is given)",
       ListOptions({kKpmId, {"include-invalidated", "also invalidated ones", true}})},
      {{"import"},
       "import Enrolees from CSV or JSON (kpm_id,kpm_hex,enrolee_id,maf_id,maf_uri,"
       "lifetime_seconds,fetch_grants); exit 1 if any row was rejected",
       {{"file",
         "enrolees.csv or enrolees.json; - reads stdin (CSV, or JSON if it starts with [)"}}},
      {{"import", "gen"},
       "write random Enrolees (and their Kpm, mode 0600) for load tests; never overwrites",
       {{"count", "how many"},
        {"out", "CSV file to create"},
        {"maf-id", "FQDN of the MAF"},
        {"kpm-out", "CSV of kpm_id,kpm_hex to create"},
        {"kpm-len", "Kpm bytes (default 32)"},
        {"lifetime", "enrolment lifetime, e.g. 24h"},
        {"maf-uri", "URI of the MAF"},
        {"prefix", "KpmID prefix (default dev-)"}}},
      {{"kek", "status"}, "MEF rows per KEK version of each sealed column", {kOutput}},
      {{"kek", "rewrap"},
       "re-seal every MEF row under the active KEK, online and resumable",
       {{"batch-size", "rows per batch, 1..10000 (default 1000)"}}},
      {{"kek", "retire"},
       "check that a KEK version may leave the MEF keyring (refused while in use or active)",
       {{"version", "the KEK version"}}},
      // MAF (MafAdminService, --maf).
      {{"maf", "credentials", "list"},
       "list the Km credentials the MAF fetched from MEFs (no Km; one page unless --all)",
       ListOptions({{"state", "active, expired or revoked"},
                    {"enrolee-id", "only this Enrolee-ID's"},
                    {"mef-fqdn", "only those fetched from this MEF"}})},
      {{"maf", "credentials", "get"},
       "show one credential's metadata",
       {{"km-id", "the KmID"}, {"ke-id", "or the KeID"}, kOutput}},
      {{"maf", "credentials", "revoke"},
       "revoke a credential (Km wiped, KmID and KeID refused) with its clients and their keys",
       {{"km-id", "the KmID"}, {"ke-id", "or the KeID"}, kReason, kOutput}},
      {{"maf", "clients", "list"},
       "list MAF Client Registrations (one page unless --all)",
       ListOptions(
           {{"state", "active, expired or revoked"}, {"client-id", "only this Enrolee-ID"}})},
      {{"maf", "clients", "get"},
       "show one MAF Client Registration",
       {{"reg-id", "the mafClientRegID"},
        {"km-id", "or the KmID (its latest registration)"},
        kOutput}},
      {{"maf", "clients", "revoke"},
       "revoke a registration, its keys and its credential (Km wiped)",
       {{"reg-id", "the mafClientRegID"}, {"km-id", "or the KmID"}, kReason, kOutput}},
      {{"maf", "keys", "list"},
       "list MAF-distributed keys (metadata only; one page unless --all)",
       ListOptions({{"reg-id", "only this client's"},
                    {"target", "only keys for this Target"},
                    {"state", "active, expired, deregistered or revoked"}})},
      {{"maf", "keys", "get"},
       "show one key's metadata",
       {{"key-id", "the Key Identifier"}, kOutput}},
      {{"maf", "keys", "revoke"},
       "revoke a key",
       {{"key-id", "the Key Identifier"}, kReason, kOutput}},
      {{"maf", "kek", "status"}, "MAF rows per KEK version of each sealed column", {kOutput}},
      {{"maf", "kek", "rewrap"},
       "re-seal every MAF row under the active KEK, online and resumable",
       {{"batch-size", "rows per batch, 1..10000 (default 1000)"}}},
      {{"maf", "kek", "retire"},
       "check that a KEK version may leave the MAF keyring (refused while in use or active)",
       {{"version", "the KEK version"}}},
  };
  return *c;
}

// Groups name the parents that are not commands themselves.
const std::map<std::string, const char*>& GroupHelp() {
  static const auto* g = new std::map<std::string, const char*>{
      {"enrolee", "MEF: Enrolees"},
      {"enrolments", "MEF: enrolments"},
      {"kek", "MEF: key-encryption-key rotation (docs/operations.md)"},
      {"maf", "MAF admin commands (--maf)"},
      {"maf credentials", "Km credentials the MAF fetched from MEFs"},
      {"maf clients", "MAF Client Registrations"},
      {"maf keys", "MAF-distributed keys"},
      {"maf kek", "MAF: key-encryption-key rotation (docs/operations.md)"},
  };
  return *g;
}

std::string Underscored(std::string name) {
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// Names gives "--kpm-id,--kpm_id" (both spellings, as the old parser accepted).
std::string Names(const std::string& dash) {
  const std::string under = Underscored(dash);
  return under == dash ? "--" + dash : "--" + dash + ",--" + under;
}

// Parsed remembers, for each CLI11 option, the CliArgs name it fills.
using Bindings = std::vector<std::pair<std::string, CLI::Option*>>;

void AddOption(CLI::App* app, const OptionSpec& o, Bindings* bindings) {
  CLI::Option* opt = o.flag ? app->add_flag(Names(o.name), o.help)
                            : app->add_option(Names(o.name), o.help)->type_name("VALUE");
  bindings->emplace_back(Underscored(o.name), opt);
}

// Child returns the subcommand `name` of `parent` (full path `full`), creating it once.
CLI::App* Child(CLI::App* parent, const std::string& name, const std::string& full,
                std::map<std::string, CLI::App*>* nodes) {
  auto known = nodes->find(full);
  if (known != nodes->end()) return known->second;
  auto it = GroupHelp().find(full);
  CLI::App* sub = parent->add_subcommand(name, it != GroupHelp().end() ? it->second : "");
  if (it != GroupHelp().end()) sub->require_subcommand(1);  // a group is not a command
  (*nodes)[full] = sub;
  return sub;
}

}  // namespace

std::optional<CliArgs> ParseCommandLine(int argc, const char* const* argv, std::ostream& out,
                                        std::ostream& err, int* out_exit_code) {
  CLI::App app("rsp_admin: admin CLI of the MEF (MefAdminService) and the MAF (MafAdminService)",
               "rsp_admin");
  // The stamped version and commit (common/ops/build_info.h), as mef_server/maf_server print them;
  // CLI11 adds the newline.
  std::string version = ops::VersionString("rsp_admin");
  while (!version.empty() && version.back() == '\n') version.pop_back();
  app.set_version_flag("--version", version);
  app.require_subcommand(1);
  app.fallthrough();  // connection options may follow the command words
  app.footer(
      "Exit codes: 0 success, 1 the operation failed or was refused (or an import rejected rows),\n"
      "2 usage error. Keys are never printed. `rsp_admin COMMAND --help` lists a command's "
      "options.");
  Bindings bindings;
  const std::vector<OptionSpec> connection = {
      {"mef", "MEF admin API host:port"},
      {"maf", "MAF admin API host:port"},
      {"tls-cert", "client certificate PEM"},
      {"tls-key", "client key PEM"},
      {"tls-ca", "CA bundle PEM"},
      {"server-name", "TLS name to expect from the server"},
      {"timeout", "per-call deadline, default 30s"},
  };
  for (const OptionSpec& o : connection) {
    AddOption(&app, o, &bindings);
    std::string env = "ONEM2M_" + bindings.back().first;
    for (char& ch : env) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    bindings.back().second->envname(env);
  }
  // Each command's options belong to that command only; remember which app holds which.
  std::map<const CLI::App*, Bindings> per_command;
  std::map<std::string, CLI::App*> nodes;
  for (const CommandSpec& c : Commands()) {
    CLI::App* node = &app;
    std::string full;
    for (const char* word : c.path) {
      full += full.empty() ? word : std::string(" ") + word;
      node = Child(node, word, full, &nodes);
    }
    node->description(c.help);
    for (const OptionSpec& o : c.options) AddOption(node, o, &per_command[node]);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      *out_exit_code = app.exit(e, out, err);
      return std::nullopt;
    }
    err << "rsp_admin: " << e.what() << " (see rsp_admin --help)\n";
    *out_exit_code = kExitUsage;
    return std::nullopt;
  }
  std::vector<std::string> path;
  std::vector<const CLI::App*> chain;
  for (const CLI::App* node = &app;;) {
    std::vector<CLI::App*> chosen = node->get_subcommands();
    if (chosen.empty()) break;
    node = chosen.front();
    path.push_back(node->get_name());
    chain.push_back(node);
  }
  CliArgs args(std::move(path));
  for (const CLI::App* node : chain) {
    auto it = per_command.find(node);
    if (it == per_command.end()) continue;
    for (const auto& b : it->second) bindings.push_back(b);
  }
  for (const auto& [name, opt] : bindings) {
    if (opt->count() == 0) continue;
    args.Set(name, opt->get_type_size() == 0 ? "true" : opt->as<std::string>());
  }
  *out_exit_code = kExitOk;
  return args;
}

}  // namespace admin
}  // namespace onem2m
