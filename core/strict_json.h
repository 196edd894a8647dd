// A strict JSON reader for untrusted input (profiles): on top of RFC 8259 it rejects duplicate
// keys, NUL bytes in strings, non-finite numbers and nesting deeper than a limit, and it says
// where an error is as a JSON pointer, so messages can name the exact setting.
#pragma once
#include <stdexcept>
#include <string>

#include "core/json.h"

namespace tunectl {

// An error at a place in a JSON document; loaders add the file name.
struct JsonError : std::runtime_error {
  JsonError(std::string pointer_, const std::string& reason)
      : std::runtime_error(reason), pointer(std::move(pointer_)) {}
  std::string pointer;  // "" for the document itself
};

// Parses the whole text (trailing non-whitespace is an error). Throws JsonError.
json parse_strict_json(const std::string& text, size_t max_depth);

// RFC 6901 reference token: "~" -> "~0", "/" -> "~1".
std::string pointer_token(const std::string& key);

}  // namespace tunectl
