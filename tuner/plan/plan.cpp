#include "tuner/plan/plan.h"

#include "core/errors.h"

namespace tunectl {

const char* to_string(ChangeStatus s) {
  switch (s) {
    case ChangeStatus::kChange: return "change";
    case ChangeStatus::kOk: return "ok";
    case ChangeStatus::kNotSettable: return "not-settable";
    case ChangeStatus::kMissing: return "missing";
  }
  return "change";
}

ChangeStatus change_status_from_string(const std::string& s) {
  for (ChangeStatus v : {ChangeStatus::kChange, ChangeStatus::kOk, ChangeStatus::kNotSettable, ChangeStatus::kMissing})
    if (s == to_string(v)) return v;
  throw InputError("unknown change status '" + s + "'");
}

void to_json(json& j, const ChangeStatus& s) { j = to_string(s); }
void from_json(const json& j, ChangeStatus& s) { s = change_status_from_string(j.get<std::string>()); }

}  // namespace tunectl
