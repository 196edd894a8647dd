// nlohmann::json with std::optional support (null <-> nullopt), used by every typed struct.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

namespace nlohmann {
template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v)
      j = *v;
    else
      j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null())
      v.reset();
    else
      v = j.get<T>();
  }
};
}  // namespace nlohmann

namespace tunectl {
using json = nlohmann::json;
// Errors a probe met while reading, one line each: "<path>: <reason>". Never fatal.
using ProbeErrors = std::vector<std::string>;
}  // namespace tunectl
