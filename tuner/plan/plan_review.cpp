// Plan digests, differences and the checks before an apply, for applying exactly the plan that
// was reviewed.
#include "tuner/plan/plan_review.h"

#include <map>

#include "core/file_io.h"
#include "core/json.h"
#include "core/sha256.h"
#include "core/strict_json.h"

namespace tunectl {
namespace {

constexpr size_t kMaxPlanFileBytes = size_t(64) << 20;  // a 4096-IRQ plan is a few MB
constexpr size_t kMaxPlanDepth = 16;

std::string transition(const Change& c) { return (c.current.empty() ? "(empty)" : c.current) + " -> " + c.value; }

}  // namespace

std::string plan_digest(const Plan& plan) {
  json body = {{"root", plan.root}, {"profile_digest", plan.profile_digest}, {"changes", json::array()}};
  for (const Change& c : plan.changes) body["changes"].push_back({c.knob, c.current, c.value});
  return sha256_hex(body.dump());
}

std::vector<std::string> plan_differences(const Plan& reviewed, const Plan& now) {
  std::vector<std::string> out;
  if (reviewed.root != now.root) out.push_back("root: reviewed " + reviewed.root + ", now " + now.root);
  if (reviewed.profile_digest != now.profile_digest)
    out.push_back("profile: reviewed sha256 " + reviewed.profile_digest.substr(0, 12) + ", now " +
                  now.profile_digest.substr(0, 12) + " (the profile file changed)");
  std::map<std::string, const Change*> before;
  for (const Change& c : reviewed.changes) before[c.knob] = &c;
  for (const Change& c : now.changes) {
    auto it = before.find(c.knob);
    if (it == before.end()) {
      out.push_back("+ " + c.knob + ": " + transition(c) + " (not in the reviewed plan)");
      continue;
    }
    if (it->second->current != c.current || it->second->value != c.value)
      out.push_back("~ " + c.knob + ": now " + transition(c) + ", reviewed " + transition(*it->second));
    before.erase(it);
  }
  for (const Change& c : reviewed.changes)
    if (before.count(c.knob)) out.push_back("- " + c.knob + ": " + transition(c) + " (no longer planned)");
  return out;
}

Plan plan_from_json(const json& j, const std::string& origin) {
  if (!j.is_object() || !j.contains("changes") || !j["changes"].is_array() || !j.contains("root"))
    throw InputError(origin + ": not a plan (expected the output of `tunectl plan --json`)");
  try {
    return j.get<Plan>();
  } catch (const json::exception& e) {
    throw InputError(origin + ": not a plan: " + e.what());
  }
}

Plan read_plan_file(const std::string& path) {
  const ReadResult r = read_regular_file(path, kMaxPlanFileBytes);
  if (!r.ok) throw InputError(r.error);
  json j;
  try {
    j = parse_strict_json(r.data, kMaxPlanDepth);
  } catch (const JsonError& e) {
    throw InputError(path + ": " + (e.pointer.empty() ? "" : e.pointer + ": ") + e.what());
  }
  return plan_from_json(j, path);
}

std::vector<std::string> strict_failures(const Plan& plan) {
  std::vector<std::string> out;
  for (const Change& c : plan.skipped) out.push_back(c.knob + ": " + to_string(c.status) + ": " + c.reason);
  for (const auto& w : plan.warnings) out.push_back(w);
  return out;
}

void check_plan(const Plan& plan, const PlanExpectations& expect) {
  auto listed = [](const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += "\n  " + l;
    return out;
  };
  if (expect.plan) {
    const auto diff = plan_differences(*expect.plan, plan);
    if (!diff.empty()) throw PlanRefused("the plan is no longer the one reviewed (nothing was written):" + listed(diff));
  }
  if (expect.digest && *expect.digest != plan.digest) {
    std::vector<std::string> now;
    for (const Change& c : plan.changes) now.push_back(c.knob + ": " + transition(c));
    throw PlanRefused("the plan's digest is now " + plan.digest + ", not the reviewed " + *expect.digest +
                      " (nothing was written); it would now write:" + (now.empty() ? "\n  nothing" : listed(now)));
  }
  if (expect.strict) {
    const auto bad = strict_failures(plan);
    if (!bad.empty())
      throw PlanRefused("strict: " + std::to_string(bad.size()) +
                        " setting(s) of the profile would not be applied (nothing was written):" + listed(bad));
  }
}

}  // namespace tunectl
