// Journal records on disk: every file opened relative to a checked state-dir descriptor, O_NOFOLLOW.
#include "tuner/apply/journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <tuple>

#include "core/errors.h"
#include "core/json_text.h"
#include "core/file_io.h"
#include "tuner/apply/state_dir.h"

namespace tunectl {
namespace {

// A journal holds the previous bytes of every knob it touched plus a few events per knob: far
// below this even for thousands of knobs. The cap only stops a FIFO or device posing as one.
constexpr size_t kMaxJournalBytes = size_t{256} << 20;

// `msg` already names the file and the reason.
[[noreturn]] void raise(const std::string& msg, int err) {
  if (err == EACCES || err == EPERM || err == EROFS) throw NotPermitted(msg);
  throw TransactionError(msg);
}

[[noreturn]] void fail(const std::string& what, int err) { raise(what + ": " + std::strerror(err), err); }

bool no_space(int err) { return err == ENOSPC || err == EDQUOT; }

// Allocates `bytes` after `from` without changing the file's size (FALLOC_FL_KEEP_SIZE): later
// appends land in blocks that already exist. A file system that cannot reserve (EOPNOTSUPP) is no
// error: its appends allocate as they go, as before. Returns 0 or the errno.
int reserve_after(int fd, off_t from, size_t bytes) {
  if (bytes == 0) return 0;
  int rc;
  do {
    rc = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, from, static_cast<off_t>(bytes));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0 || errno == EOPNOTSUPP || errno == ENOSYS) return 0;
  return errno;
}

int write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

void fsync_dir(int dir_fd, const std::string& dir) {
  if (::fsync(dir_fd) != 0) fail("cannot fsync " + dir, errno);
}

const char* type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "directory";
  if (S_ISFIFO(mode)) return "FIFO";
  if (S_ISLNK(mode)) return "symlink";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "device";
  return "special file";
}

// `name` in the checked directory `dir_fd`: a regular file, never through a symlink (the open is
// O_NOFOLLOW and O_NONBLOCK, so a FIFO cannot hang it). `path` names it in messages.
UniqueFd open_record(int dir_fd, const std::string& name, const std::string& path, int flags) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid() && errno == ELOOP) raise("cannot read " + path + ": not a regular file (symlink)", EINVAL);
  if (!fd.valid()) fail("cannot read " + path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) fail("cannot read " + path, errno);
  if (!S_ISREG(st.st_mode))
    raise("cannot read " + path + ": not a regular file (" + type_name(st.st_mode) + ")", EINVAL);
  return fd;
}

// A record path's directory, opened and checked (see open_state_dir), and its file name.
UniqueFd open_record_dir(const std::string& path, std::string& name) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  UniqueFd fd = open_state_dir(dir, false);
  if (!fd.valid()) fail("cannot read " + path, ENOENT);
  return fd;
}

std::string read_record_at(int dir_fd, const std::string& name, const std::string& path) {
  UniqueFd fd = open_record(dir_fd, name, path, O_RDONLY);
  std::string text;
  if (int err = read_all(fd.get(), text, kMaxJournalBytes)) {
    if (err == EFBIG) raise("cannot read " + path + ": larger than 256 MiB", err);
    fail("cannot read " + path, err);
  }
  return text;
}

JournalRecord load_record_at(int dir_fd, const std::string& name, const std::string& path) {
  return parse_journal(path, read_record_at(dir_fd, name, path));
}

// The "seq" of a record's first line when it is still JSON with one, for a record that fails the
// format otherwise.
std::optional<uint64_t> peek_seq(const std::string& text) {
  const json j = json::parse(text.substr(0, text.find('\n')), nullptr, false);
  if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) return j["seq"].get<uint64_t>();
  return std::nullopt;
}

// Every field an event may carry has one type; an index names a knob of the header. Checked on
// reading, so an edited record is reported as corrupt instead of failing whoever reads it later.
void check_event(const json& ev, size_t knobs) {
  if (!ev.contains("event") || !ev["event"].is_string()) throw TransactionError("no event name");
  const std::string kind = ev["event"].get<std::string>();
  for (const char* key : {"at", "state", "cause", "message", "errno_name", "effect", "effect_detail", "to"})
    if (ev.contains(key) && !ev[key].is_string()) throw TransactionError(std::string("\"") + key + "\" is not a string");
  for (const char* key : {"after_b64", "found_b64", "restored_b64"})
    if (ev.contains(key)) {
      if (!ev[key].is_string()) throw TransactionError(std::string("\"") + key + "\" is not a string");
      base64_decode(ev[key].get<std::string>());
    }
  if (ev.contains("errno") && !ev["errno"].is_number_integer()) throw TransactionError("\"errno\" is not a number");
  auto check_index = [&](const json& i) {
    if (!i.is_number_unsigned() || i.get<uint64_t>() >= knobs)
      throw TransactionError("index " + i.dump() + " names no knob of the header");
  };
  const bool per_knob = kind == "writing" || kind == "written" || kind == "failed" || kind == "restored" ||
                        kind == "restore-failed";
  if (per_knob && !ev.contains("index")) throw TransactionError("\"" + kind + "\" without an index");
  if (ev.contains("index")) check_index(ev["index"]);
  if (kind == "state") {
    const std::string state = ev.value("state", "");
    if (state != "applied" && state != "rolled-back") throw TransactionError("unknown state '" + state + "'");
  }
  if (ev.contains("failed")) {
    if (!ev["failed"].is_array()) throw TransactionError("\"failed\" is not a list");
    for (const auto& i : ev["failed"]) check_index(i);
  }
}

json header_to_json(const JournalHeader& h) {
  json knobs = json::array();
  for (const auto& k : h.knobs)
    knobs.push_back({{"index", k.index}, {"knob", k.knob}, {"value", k.value},
                     {"before_b64", k.before ? json(base64_encode(*k.before)) : json(nullptr)},
                     {"identity", k.identity}});
  return {{"schema", kJournalSchema}, {"event", "begin"}, {"id", h.id}, {"profile", h.profile},
          {"profile_digest", h.profile_digest}, {"root", h.root}, {"started_at", h.started_at},
          {"pid", h.pid}, {"identity", h.identity}, {"knobs", knobs}, {"plan", h.plan}};
}

// The header line: header_to_json plus the fields only some records carry.
std::string header_line(const JournalHeader& h) {
  json j = header_to_json(h);
  if (h.seq) j["seq"] = h.seq;
  if (!h.fault_injection.is_null()) j["fault_injection"] = h.fault_injection;
  // A tree path or plan text with bytes that are not UTF-8 is escaped ("\xff"), not a crash; such a
  // root then no longer matches and rollback refuses it (never writes elsewhere).
  return dump_json(j) + "\n";
}

JournalHeader header_from_json(const json& j) {
  const std::string schema = j.value("schema", "");
  if ((schema != kJournalSchema && schema != kJournalSchemaV1) || j.value("event", "") != "begin")
    throw TransactionError("not a " + std::string(kJournalSchema) + " header");
  JournalHeader h;
  h.id = j.at("id").get<std::string>();
  h.profile = j.at("profile").get<std::string>();
  h.profile_digest = j.at("profile_digest").get<std::string>();
  h.root = j.at("root").get<std::string>();
  h.started_at = j.at("started_at").get<std::string>();
  h.pid = j.at("pid").get<int>();
  if (j.contains("seq")) {
    if (!j["seq"].is_number_unsigned() || j["seq"].get<uint64_t>() == 0) throw TransactionError("\"seq\" is not a positive integer");
    h.seq = j["seq"].get<uint64_t>();
  }
  h.fault_injection = j.value("fault_injection", json());
  h.identity = j.value("identity", json());  // absent in older records
  h.plan = j.at("plan").get<Plan>();
  for (const auto& k : j.at("knobs")) {
    JournalKnob jk;
    jk.index = k.at("index").get<size_t>();
    jk.knob = k.at("knob").get<std::string>();
    if (k.value("action", "write") != "write")
      throw TransactionError("knob " + jk.knob + " has action '" + k.value("action", "") +
                             "' (an older tunectl's cgroup mkdir): restore it by hand");
    jk.value = k.at("value").get<std::string>();
    if (!k.at("before_b64").is_null()) jk.before = base64_decode(k.at("before_b64").get<std::string>());
    jk.identity = k.value("identity", json());
    if (jk.index != h.knobs.size()) throw TransactionError("knob indexes out of order");
    h.knobs.push_back(std::move(jk));
  }
  if (h.knobs.size() != h.plan.changes.size())
    throw TransactionError("lists " + std::to_string(h.knobs.size()) + " knobs but its plan " +
                           std::to_string(h.plan.changes.size()));
  return h;
}

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string JournalRecord::state() const {
  for (auto it = events.rbegin(); it != events.rend(); ++it)
    if (it->value("event", "") == "state") return it->value("state", "open");
  return "open";
}

std::string JournalRecord::state_at(const std::string& state) const {
  for (auto it = events.rbegin(); it != events.rend(); ++it)
    if (it->value("event", "") == "state" && it->value("state", "") == state) return it->value("at", "");
  return "";
}

std::vector<size_t> JournalRecord::attempted() const {
  std::set<size_t> idx;
  for (const auto& e : events)
    if (e.value("event", "") == "writing") idx.insert(e.at("index").get<size_t>());
  return {idx.begin(), idx.end()};
}

JournalWriter JournalWriter::create(const std::string& state_dir, const JournalHeader& header, size_t reserve) {
  const UniqueFd state = open_state_dir(state_dir, true);
  const std::string dir = journal_dir(state_dir);
  // The transactions dir, created (and made durable in its parent) on first use.
  if (::mkdirat(state.get(), "transactions", 0700) == 0)
    fsync_dir(state.get(), state_dir);
  else if (errno != EEXIST)
    fail("cannot create " + dir, errno);
  const UniqueFd dfd = open_state_subdir(state.get(), state_dir, "transactions", false);
  if (!dfd.valid()) fail("cannot open " + dir, ENOENT);
  const std::string name = header.id + ".journal";
  const std::string tmp_name = "." + name + ".tmp";
  const std::string path = dir + "/" + name;
  const std::string tmp = dir + "/" + tmp_name;
  {
    // A stale tmp of the same name (an apply that died before its rename) is replaced, not followed.
    if (::unlinkat(dfd.get(), tmp_name.c_str(), 0) != 0 && errno != ENOENT) fail("cannot remove " + tmp, errno);
    UniqueFd fd(::openat(dfd.get(), tmp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) fail("cannot create " + tmp, errno);
    const std::string line = header_line(header);
    // Room for the header and every event after it, before the record exists: a full disk or
    // quota refuses the apply here, with nothing written.
    auto give_up = [&](const std::string& what, int err) {
      ::unlinkat(dfd.get(), tmp_name.c_str(), 0);
      if (no_space(err))
        throw ApplyError("not enough space for the journal in " + dir + " (" + std::to_string(line.size() + reserve) +
                         " bytes for its header and events): " + std::strerror(err) + "; nothing was written");
      fail(what, err);
    };
    if (int err = write_all(fd.get(), line)) give_up("cannot write " + tmp, err);
    if (int err = reserve_after(fd.get(), static_cast<off_t>(line.size()), reserve)) give_up("cannot reserve " + tmp, err);
    if (::fsync(fd.get()) != 0) give_up("cannot fsync " + tmp, errno);
  }
  // Never replace an existing record: its transaction may still need rolling back.
  if (::renameat2(dfd.get(), tmp_name.c_str(), dfd.get(), name.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    ::unlinkat(dfd.get(), tmp_name.c_str(), 0);
    fail("cannot rename " + tmp + " to " + path, err);
  }
  fsync_dir(dfd.get(), dir);  // the rename itself must survive a power loss before the first knob write
  return open_for_append(dfd.get(), name, path);
}

JournalWriter JournalWriter::reopen(const std::string& path, size_t reserve) {
  std::string name;
  const UniqueFd dir = open_record_dir(path, name);
  JournalWriter jw = open_for_append(dir.get(), name, path);
  jw.reserve(reserve);  // best effort: what apply reserved is still there unless a torn end was cut
  return jw;
}

bool JournalWriter::reserve(size_t bytes) {
  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) fail("cannot stat " + path_, errno);
  const int err = reserve_after(fd_.get(), st.st_size, bytes);
  if (err && !no_space(err)) fail("cannot reserve space in " + path_, err);
  return err == 0;
}

JournalWriter JournalWriter::open_for_append(int dir_fd, const std::string& name, const std::string& path) {
  UniqueFd owned(::openat(dir_fd, name.c_str(), O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!owned.valid()) fail("cannot open " + path, errno);
  const int fd = owned.get();
  JournalWriter jw(std::move(owned), path);
  // A torn last line (power loss mid-append) would swallow the next event; cut it off first.
  // Its action had not started: marks are durable before the write they announce.
  struct stat st;
  if (::fstat(fd, &st) != 0) fail("cannot stat " + path, errno);
  if (!S_ISREG(st.st_mode)) raise("cannot open " + path + ": not a regular file (" + type_name(st.st_mode) + ")", EINVAL);
  off_t end = st.st_size;
  char c = '\n';
  while (end > 0 && ::pread(fd, &c, 1, end - 1) == 1 && c != '\n') --end;
  if (end != st.st_size) {
    if (::ftruncate(fd, end) != 0 || ::fdatasync(fd) != 0) fail("cannot repair the torn end of " + path, errno);
  }
  return jw;
}

void JournalWriter::append(json event, bool durable) {
  event["at"] = utc_now();
  // One write(2) of a whole line on an O_APPEND fd: a reader sees the line entirely or not at all
  // (bar a power loss, which the reader tolerates for the last line).
  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) fail("cannot stat " + path_, errno);
  if (int err = write_all(fd_.get(), event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n")) {
    // A short write (the disk filled up beyond the reservation) leaves part of a line: cut it off,
    // so the record stays readable and the next append starts on a line of its own.
    if (::ftruncate(fd_.get(), st.st_size) != 0) fail("cannot append to " + path_ + " nor cut off the partial line", err);
    fail("cannot append to " + path_, err);
  }
  if (durable && ::fdatasync(fd_.get()) != 0) fail("cannot fsync " + path_, errno);
}

std::string journal_dir(const std::string& state_dir) { return state_dir + "/transactions"; }

JournalRecord parse_journal(const std::string& path, const std::string& text) {
  JournalRecord rec;
  rec.path = path;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const bool complete = nl != std::string::npos;
    const std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
    pos = complete ? nl + 1 : text.size();
    ++line_no;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      // Only an append cut short by a power loss can be unterminated or unparsable, and only last.
      if (pos >= text.size() && line_no > 1) break;
      throw TransactionError(path + ": line " + std::to_string(line_no) + ": corrupt journal entry");
    }
    if (line_no == 1) {
      try {
        rec.header = header_from_json(j);
      } catch (const std::exception& e) {
        throw TransactionError(path + ": line 1: bad header: " + e.what());
      }
    } else {
      if (!j.contains("event")) throw TransactionError(path + ": line " + std::to_string(line_no) + ": no event");
      try {
        check_event(j, rec.header.knobs.size());
      } catch (const std::exception& e) {
        throw TransactionError(path + ": line " + std::to_string(line_no) + ": bad event: " + e.what());
      }
      rec.events.push_back(std::move(j));
    }
  }
  if (line_no == 0) throw TransactionError(path + ": empty journal");
  return rec;
}

JournalRecord load_journal(const std::string& path) {
  std::string name;
  const UniqueFd dir = open_record_dir(path, name);
  return load_record_at(dir.get(), name, path);
}

JournalSet scan_journals(const std::string& state_dir) {
  JournalSet out;
  const UniqueFd state = open_state_dir(state_dir, false);
  if (!state.valid()) return out;
  const UniqueFd dfd = open_state_subdir(state.get(), state_dir, "transactions", false);
  if (!dfd.valid()) return out;
  const std::string dir = journal_dir(state_dir);
  UniqueFd listing(::openat(dfd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = listing.valid() ? ::fdopendir(listing.get()) : nullptr;
  if (!d) fail("cannot read " + dir, errno);
  listing.release();  // the DIR owns it now
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    // Dot files are tmp headers from an apply that died before its rename: nothing was written.
    if (name[0] == '.' || name.size() < 9 || name.compare(name.size() - 8, 8, ".journal") != 0) continue;
    names.push_back(name);
  }
  ::closedir(d);
  for (const auto& name : names) {
    const std::string path = dir + "/" + name;
    std::string text;
    try {
      text = read_record_at(dfd.get(), name, path);
      out.records.push_back(parse_journal(path, text));
    } catch (const Error& e) {
      out.corrupt.push_back({name.substr(0, name.size() - 8), path, e.what(), peek_seq(text)});
    }
  }
  // Records without a seq (older ones) first, by start time; then by seq. The wall clock may
  // step back between two applies; the seq taken under the lock does not.
  std::sort(out.records.begin(), out.records.end(), [](const JournalRecord& a, const JournalRecord& b) {
    const JournalHeader &x = a.header, &y = b.header;
    if ((x.seq == 0) != (y.seq == 0)) return x.seq == 0;
    if (x.seq == 0) return std::tie(x.started_at, x.id) < std::tie(y.started_at, y.id);
    return std::tie(x.seq, x.id) < std::tie(y.seq, y.id);
  });
  std::sort(out.corrupt.begin(), out.corrupt.end(),
            [](const CorruptJournal& a, const CorruptJournal& b) { return a.id < b.id; });
  return out;
}

std::vector<JournalRecord> load_journals(const std::string& state_dir) {
  JournalSet set = scan_journals(state_dir);
  if (!set.corrupt.empty()) throw TransactionError(set.corrupt.front().reason);
  return std::move(set.records);
}

uint64_t last_journal_seq(const JournalSet& set) {
  uint64_t last = 0;
  for (const auto& r : set.records) last = std::max(last, r.header.seq);
  for (const auto& c : set.corrupt) last = std::max(last, c.seq.value_or(0));
  return last;
}

void remove_stale_tmp_headers(const std::string& state_dir) {
  const UniqueFd state = open_state_dir(state_dir, false);
  if (!state.valid()) return;
  const UniqueFd dfd = open_state_subdir(state.get(), state_dir, "transactions", false);
  if (!dfd.valid()) return;
  UniqueFd listing(::openat(dfd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = listing.valid() ? ::fdopendir(listing.get()) : nullptr;
  if (!d) fail("cannot read " + journal_dir(state_dir), errno);
  listing.release();
  std::vector<std::string> stale;
  while (struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 13 && name[0] == '.' && name.compare(name.size() - 12, 12, ".journal.tmp") == 0)
      stale.push_back(name);
  }
  ::closedir(d);
  // unlinkat removes a link itself, never its target; a directory of that name stays (EISDIR).
  for (const auto& name : stale) ::unlinkat(dfd.get(), name.c_str(), 0);
}

size_t journal_pass_bytes(const JournalHeader& h) {
  // Per knob: two lines of JSON keys, index, time, errno name and effect (~300 bytes), a message
  // (~200 plus the values it quotes), and up to two copies of the knob's bytes in base64; the
  // bytes read back are about as long as the value written or the previous bytes.
  size_t total = 4096;  // the state or rollback-incomplete line, an audit's switch line
  for (const auto& k : h.knobs) {
    const size_t bytes = std::max({k.value.size(), k.before ? k.before->size() : 0, size_t{64}});
    total += 2048 + 8 * bytes;
  }
  return total;
}

std::string new_transaction_id() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  unsigned short r = 0;
  if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) r = static_cast<unsigned short>(::getpid());
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", r);
  return std::string(stamp) + "-" + suffix;
}

std::string utc_now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto us = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[40];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us));
  return std::string(stamp) + frac;
}

std::string base64_encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], '='};
  }
  return out;
}

std::string base64_decode(const std::string& text) {
  if (text.size() % 4 != 0) throw TransactionError("base64: length not a multiple of 4");
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size() || (i + 1 < text.size() && text[i + 1] != '='))
        throw TransactionError("base64: padding inside the text");
      break;
    }
    const char* p = std::strchr(kB64, c);
    if (!p || c == '\0') throw TransactionError("base64: bad character");
    v = (v << 6) | static_cast<unsigned>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((v >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace tunectl
