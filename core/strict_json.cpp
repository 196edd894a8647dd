#include "core/strict_json.h"

#include <cmath>
#include <vector>

namespace tunectl {
namespace {

// The parser quotes the input it stopped at; hostile bytes must not reach a terminal as they are.
std::string printable(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out;
}

class StrictBuilder : public nlohmann::json_sax<json> {
 public:
  explicit StrictBuilder(size_t max_depth) : max_depth_(max_depth) {}

  json root;
  bool failed = false;
  std::string error_pointer, error_reason;

  bool null() override { return put(nullptr); }
  bool boolean(bool v) override { return put(v); }
  bool number_integer(number_integer_t v) override { return put(v); }
  bool number_unsigned(number_unsigned_t v) override { return put(v); }
  bool number_float(number_float_t v, const string_t&) override {
    if (!std::isfinite(v)) return fail("number out of range");
    return put(v);
  }
  bool string(string_t& v) override {
    if (v.find('\0') != std::string::npos) return fail("string contains a NUL byte");
    return put(v);
  }
  bool binary(binary_t&) override { return fail("binary values are not JSON"); }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    Frame& f = frames_.back();
    f.key = k;
    f.has_key = true;
    if (k.find('\0') != std::string::npos) return fail("key contains a NUL byte");
    if (f.value->contains(k)) return fail("duplicate key");
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
    if (auto p = what.find("] "); what.rfind("[json.", 0) == 0 && p != std::string::npos) what = what.substr(p + 2);
    return fail("invalid JSON: " + printable(what));
  }

 private:
  struct Frame {
    json* value;
    std::string key;  // objects: the key being read
    bool has_key = false;
    size_t index = 0;  // arrays: the next element's index
  };

  std::string pointer() const {
    std::string p;
    for (const Frame& f : frames_) {
      if (f.value->is_array())
        p += "/" + std::to_string(f.index);
      else if (f.has_key)
        p += "/" + pointer_token(f.key);
    }
    return p;
  }

  bool fail(const std::string& reason) {
    if (!failed) {
      failed = true;
      error_pointer = pointer();
      error_reason = reason;
    }
    return false;
  }

  json* insert(json v) {
    if (frames_.empty()) {
      root = std::move(v);
      return &root;
    }
    Frame& f = frames_.back();
    if (f.value->is_array()) {
      f.value->push_back(std::move(v));
      ++f.index;
      return &f.value->back();
    }
    return &((*f.value)[f.key] = std::move(v));
  }

  bool put(json v) {
    insert(std::move(v));
    return true;
  }

  bool open(json container) {
    if (frames_.size() >= max_depth_)
      return fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
    const bool in_array = !frames_.empty() && frames_.back().value->is_array();
    json* slot = insert(std::move(container));
    // Errors inside the new container must point at it: the parent's index advances on close.
    if (in_array) --frames_.back().index;
    frames_.push_back(Frame{slot});
    return true;
  }

  bool close() {
    frames_.pop_back();
    if (!frames_.empty()) {
      Frame& f = frames_.back();
      if (f.value->is_array()) ++f.index;
    }
    return true;
  }

  size_t max_depth_;
  std::vector<Frame> frames_;
};

}  // namespace

std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

json parse_strict_json(const std::string& text, size_t max_depth) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so "{...}\0garbage" would pass.
  if (const size_t at = text.find('\0'); at != std::string::npos)
    throw JsonError("", "invalid JSON: NUL byte at offset " + std::to_string(at));
  StrictBuilder b(max_depth);
  bool ok = json::sax_parse(text, &b, json::input_format_t::json, /*strict=*/true);
  if (!ok || b.failed)
    throw JsonError(b.error_pointer, b.failed ? b.error_reason : "invalid JSON");
  return std::move(b.root);
}

}  // namespace tunectl
