// tunectl profiles list|show NAME: the profiles of the search path as they resolve (extends merged,
// conflicts between parents reported) and apply to this host or a captured tree (conditions
// evaluated); which file each name comes from and which files it shadows.
#include <iostream>

#include "core/errors.h"
#include "core/json_text.h"
#include "core/table.h"
#include "cli/common_options.h"
#include "cli/verb.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"
#include "tuner/profile/profile_schema.h"

namespace tunectl::cli {
namespace {

using Align = Table::Align;

// Settings as the bytes they write ("10240 65535"); policy parameters as JSON.
std::string value_text(const json& v) {
  const std::string text = setting_text(v);
  return !text.empty() || v.is_string() ? text : v.dump();
}

std::string stems(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) {
    std::string base = f.substr(f.rfind('/') == std::string::npos ? 0 : f.rfind('/') + 1);
    if (base.size() > 5) base.resize(base.size() - 5);
    out += (out.empty() ? "" : " <- ") + base;
  }
  return out;
}

// A profile's value as one short text: the value itself, or the JSON of a policy.
std::string conflict_value(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void print_list(std::ostream& out, const json& profiles) {
  Table t({{"NAME"}, {"SETTINGS", Align::Right}, {"APPLY HERE", Align::Right}, {"EXTENDS"}, {"FROM"}, {"DESCRIPTION"}});
  std::vector<std::string> notes;
  for (const auto& p : profiles) {
    const std::string name = p["name"].get<std::string>(), dir = p["dir"].get<std::string>();
    for (const auto& hidden : p["shadows"])
      notes.push_back(p["path"].get<std::string>() + " shadows " + hidden.get<std::string>());
    if (p.contains("error")) {
      t.add_row({name, Table::Cell(), Table::Cell(), Table::Cell(), dir, "INVALID: " + p["error"].get<std::string>()});
      continue;
    }
    std::vector<std::string> files = p["files"];
    files.pop_back();
    t.add_row({name, std::to_string(p["settings"].get<size_t>()), std::to_string(p["applicable"].get<size_t>()),
               files.empty() ? Table::Cell() : stems(files), dir, p["description"].get<std::string>()});
  }
  t.print(out);
  if (!notes.empty()) out << "\n";
  for (const auto& n : notes) out << "note: " << n << "\n";
}

// Two parents of an extends list that set one setting differently: the values, which won, why.
void print_conflicts(std::ostream& out, const json& conflicts) {
  if (conflicts.empty()) return;
  out << "\nextends conflicts (parents setting the same key differently):\n";
  Table t({{"SETTING"}, {"VALUES (merge order)"}, {"WON"}, {"WHY"}});
  for (const auto& c : conflicts) {
    std::string values;
    for (const auto& v : c["values"])
      values += (values.empty() ? "" : " then ") + conflict_value(v["value"]) + " (" + stems({v["file"].get<std::string>()}) + ")";
    const std::string won = c["won"].get<std::string>();
    t.add_row({c["setting"].get<std::string>(), values, won.empty() ? Table::Cell() : stems({won}),
               c["why"].get<std::string>()});
  }
  t.print(out, "  ");
}

// One row per setting; a policy (irq/rps/xps) is one row with its parameters.
void print_show(std::ostream& out, const json& p) {
  out << "profile " << p["name"].get<std::string>() << ": " << p["description"].get<std::string>() << "\n"
      << "file:    " << p["path"].get<std::string>() << "\n"
      << "merged:  " << stems(p["files"]) << "\n";
  for (const auto& hidden : p["shadows"]) out << "shadows: " << hidden.get<std::string>() << "\n";
  out << "sha256:  " << p["digest"].get<std::string>() << "\n"
      << "root:    " << p["root"].get<std::string>() << "\n\n";
  Table t({{"SETTING"}, {"VALUE"}, {"WHY"}, {"SOURCE"}});
  auto row = [&](const std::string& name, const json& s) {
    t.add_row({name, value_text(s["value"]), s.value("why", ""), s.value("source", "")});
  };
  for (const auto& [sec, v] : p["effective"].items()) {
    if (sec == "sysctl" || sec == "thp") {
      for (const auto& [k, s] : v.items()) row(sec + ":" + k, s);
    } else if (sec == "nic" || sec == "cgroups") {
      for (const auto& [k, g] : v.items())
        for (const auto& [f, s] : g.items()) {
          if (f == "create" && s.get<bool>()) t.add_row({sec + ":" + k, "create", g.value("why", ""), g.value("source", "")});
          if (s.is_object()) row(sec + ":" + k + ":" + f, s);
        }
    } else if (sec == "verify") {
      t.add_row({"verify", std::string("effects ") + (v["effects"].get<bool>() ? "checked" : "not checked"), "", ""});
    } else {
      std::string params;
      for (const auto& [k, x] : v.items())
        if (k != "why" && k != "source") params += (params.empty() ? "" : " ") + k + "=" + value_text(x);
      t.add_row({sec, params, v.value("why", ""), v.value("source", "")});
    }
  }
  t.print(out);
  if (!p["excluded"].empty()) {
    out << "\nleft out on this host:\n";
    Table x({{"ITEM"}, {"BECAUSE"}});
    for (const auto& e : p["excluded"]) x.add_row({e["item"].get<std::string>(), e["reason"].get<std::string>()});
    x.print(out, "  ");
  }
  print_conflicts(out, p["conflicts"]);
}

int run_list(const std::vector<std::string>& args) {
  po::options_description opts("profiles list options");
  add_common(opts, kRoot | kJson | kProfilePath);
  po::variables_map vm;
  if (!parse_options("profiles list",
                     "[--root DIR] [--profile-path DIR:DIR] [--json]\n\n"
                     "Every profile name in the search path: the file it comes from (FROM), the files\n"
                     "it shadows, and a file that does not load listed with its error. Conditions are\n"
                     "evaluated against the host root.\n\n" + std::string(kProfileSearchHelp),
                     opts, args, vm))
    return 0;
  const Common common = read_common(vm);
  const Host host = host_for_root(common.root);
  const Snapshot snap = plan_snapshot(host, condition_areas());
  const json all = profile_listing_json(profile_dirs(common), snap, host);
  if (common.json)
    std::cout << dump_json(json(all), 2) << "\n";
  else
    print_list(std::cout, all);
  return 0;
}

int run_show(const std::vector<std::string>& args) {
  po::options_description opts("profiles show options");
  opts.add_options()("name", po::value<std::string>(), "profile name or path");
  add_common(opts, kRoot | kJson | kProfilePath);
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (!parse_options("profiles show",
                     "NAME [--root DIR] [--profile-path DIR:DIR] [--json]\n\n"
                     "Conditions are evaluated against the host root. Settings that two parents of an\n"
                     "extends list set differently are listed with the value that won and why.\n\n" +
                         std::string(kProfileSearchHelp),
                     opts, args, vm, &pos))
    return 0;
  if (!vm.count("name")) throw InputError("profiles show needs a profile name or path");
  const Common common = read_common(vm);
  const Host host = host_for_root(common.root);
  const json p = evaluated_profile_json(load_profile(vm["name"].as<std::string>(), profile_dirs(common)), plan_snapshot(host, condition_areas()), &host);
  if (common.json)
    std::cout << dump_json(p, 2) << "\n";
  else
    print_show(std::cout, p);
  return 0;
}

int run_profiles(const std::vector<std::string>& args) {
  return run_subcommand(
      "profiles", args,
      {{"list", "", "every profile in the search path: settings, how many apply here, what it extends, where from", run_list},
       {"show", "NAME", "one profile (name or path) resolved and evaluated for this host", run_show}});
}

}  // namespace

Verb verb_profiles() { return {"profiles", "list the profiles in the search path, or show one resolved for this host", run_profiles}; }

}  // namespace tunectl::cli
