// tunectl profiles list|show NAME: the profiles as they resolve (extends merged) and apply to this
// host or a captured tree (conditions evaluated).
#include <iostream>

#include "core/errors.h"
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

void print_list(std::ostream& out, const std::vector<json>& profiles) {
  Table t({{"NAME"}, {"SETTINGS", Align::Right}, {"APPLY HERE", Align::Right}, {"EXTENDS"}, {"DESCRIPTION"}});
  for (const auto& p : profiles) {
    std::vector<std::string> files = p["files"];
    files.pop_back();
    t.add_row({p["name"].get<std::string>(), std::to_string(p["settings"].get<size_t>()),
               std::to_string(p["applicable"].get<size_t>()), files.empty() ? Table::Cell() : stems(files),
               p["description"].get<std::string>()});
  }
  t.print(out);
}

// One row per setting; a policy (irq/rps/xps) is one row with its parameters.
void print_show(std::ostream& out, const json& p) {
  out << "profile " << p["name"].get<std::string>() << ": " << p["description"].get<std::string>() << "\n"
      << "file:    " << p["path"].get<std::string>() << "\n"
      << "merged:  " << stems(p["files"]) << "\n"
      << "sha256:  " << p["digest"].get<std::string>() << "\n"
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
}

int run_list(const std::vector<std::string>& args) {
  po::options_description opts("profiles list options");
  add_common(opts, kRoot | kJson);
  po::variables_map vm;
  if (!parse_options("profiles list", "[--root DIR] [--json]\n\nConditions are evaluated against the host root.", opts,
                     args, vm))
    return 0;
  const Common common = read_common(vm);
  const Snapshot snap = plan_snapshot(host_for_root(common.root));
  std::vector<json> all;
  for (const auto& name : list_profiles()) all.push_back(evaluated_profile_json(load_profile(name), snap));
  if (common.json)
    std::cout << json(all).dump(2) << "\n";
  else
    print_list(std::cout, all);
  return 0;
}

int run_show(const std::vector<std::string>& args) {
  po::options_description opts("profiles show options");
  opts.add_options()("name", po::value<std::string>(), "profile name or path");
  add_common(opts, kRoot | kJson);
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (!parse_options("profiles show", "NAME [--root DIR] [--json]\n\nConditions are evaluated against the host root.",
                     opts, args, vm, &pos))
    return 0;
  if (!vm.count("name")) throw InputError("profiles show needs a profile name or path");
  const Common common = read_common(vm);
  const Host host = host_for_root(common.root);
  const json p = evaluated_profile_json(load_profile(vm["name"].as<std::string>()), plan_snapshot(host));
  if (common.json)
    std::cout << p.dump(2) << "\n";
  else
    print_show(std::cout, p);
  return 0;
}

int run_profiles(const std::vector<std::string>& args) {
  return run_subcommand(
      "profiles", args,
      {{"list", "", "every built-in profile: settings, how many apply here, what it extends", run_list},
       {"show", "NAME", "one profile (name or path) resolved and evaluated for this host", run_show}});
}

}  // namespace

Verb verb_profiles() { return {"profiles", "list the built-in profiles, or show one resolved for this host", run_profiles}; }

}  // namespace tunectl::cli
