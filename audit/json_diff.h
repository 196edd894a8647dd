// A structural diff of two JSON values that names every difference by a path, matching the
// elements of lists of keyed things (IRQs, NICs, cgroups, settings) by their key instead of their
// position, so one inserted element is one difference rather than a shift of every later one.
// It knows no schema: what is keyed and what is ignored comes in as rules (audit/diff.cpp).
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

namespace tunectl {

// Patterns are paths like "/irqs/*/counts": tokens separated by "/", "*" matching any one token
// (a key or an index). They are matched against the path relative to where diff_json starts,
// with list elements named by their key ("/irqs/3") or, in unkeyed lists, their index.
struct JsonDiffRules {
  struct KeyedList {
    std::string pattern;  // where the list is: "/irqs"
    std::string field;    // what names an element: "irq"
  };
  std::vector<KeyedList> keyed_lists;
  std::vector<std::string> ignored;  // subtrees never compared
};

struct JsonChange {
  enum class Kind { kChanged, kAdded, kRemoved };  // added: only in B; removed: only in A
  Kind kind = Kind::kChanged;
  std::string path;  // RFC 6901 style (a key's "/" is "~1"), list elements named as in the patterns
  json a, b;         // null where absent
};

const char* to_string(JsonChange::Kind kind);

// Appends the differences between `a` and `b` (nullptr: absent) to `out`. `at` is where the two
// values sit for the rules ("/irqs"); `shown_at` is the path reported for them (the same, or with a
// prefix such as "/snapshots/after/irqs"). Lists of keyed things are matched by key only when every
// element of both lists is an object with a unique scalar key; otherwise by position. Lists of
// scalars (cpulists split into numbers, governors) are compared whole: one difference, not one per
// element.
void diff_json(const json* a, const json* b, const JsonDiffRules& rules, const std::string& at,
               const std::string& shown_at, std::vector<JsonChange>& out);

}  // namespace tunectl
