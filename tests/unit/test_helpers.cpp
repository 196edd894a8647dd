#include "tests/unit/test_helpers.h"

#include "core/errors.h"
#include "tuner/apply/state_lock.h"
#include "tuner/knobs/knob.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace tunectl::test {

std::string fixture_host(const std::string& name) {
  const char* src = std::getenv("TUNECTL_SOURCE_DIR");
  return std::string(src ? src : TUNECTL_SOURCE_DIR) + "/tests/fixtures/hosts/" + name;
}

bool returns_promptly(const std::function<void()>& fn, const std::string& fifo, std::chrono::seconds limit) {
  auto done = std::async(std::launch::async, fn);
  if (done.wait_for(limit) == std::future_status::ready) {
    done.get();
    return true;
  }
  // A blocked open(O_RDONLY) returns once a writer has come; with it gone again, reads see EOF.
  const int w = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  if (w >= 0) ::close(w);
  try {
    done.get();
  } catch (...) {  // whatever it made of the FIFO after all, it blocked first
  }
  return false;
}

namespace {

// Writes `path`'s own first line back to it: 0 when the kernel takes it, else the errno.
int trial_write(const std::string& path) {
  std::ifstream in(path);
  std::string current;
  std::getline(in, current);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const ssize_t n = ::write(fd, current.data(), current.size());
  const int err = n == static_cast<ssize_t>(current.size()) ? 0 : n < 0 ? errno : EIO;
  ::close(fd);
  return err;
}

}  // namespace

LiveIrqs discover_live_irqs() {
  std::vector<int> irqs;
  for (const auto& e : fs::directory_iterator("/proc/irq")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") == std::string::npos) irqs.push_back(std::stoi(name));
  }
  std::sort(irqs.begin(), irqs.end());
  LiveIrqs out;
  for (int irq : irqs) {
    const std::string path = "/proc/irq/" + std::to_string(irq) + "/smp_affinity_list";
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    // Root may open a 0444 file anyway: the mode is the kernel's answer, so no trial write then.
    const bool read_only = !(st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH));
    const int err = read_only ? 0 : trial_write(path);
    if (read_only || err == EPERM || err == EIO) {
      if (out.managed < 0) out.managed = irq;
    } else if (err == 0 && out.settable < 0) {
      out.settable = irq;
    }
  }
  return out;
}

EnvVar::EnvVar(const char* name, const char* value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  if (value)
    ::setenv(name, value, 1);
  else
    ::unsetenv(name);
}

EnvVar::~EnvVar() {
  if (old_)
    ::setenv(name_, old_->c_str(), 1);
  else
    ::unsetenv(name_);
}

TempTree::TempTree() {
  std::string tmpl = (fs::temp_directory_path() / "tunectl-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempTree::~TempTree() {
  std::error_code ec;
  // Read-only fixture files would block removal of their directories on some setups.
  for (auto it = fs::recursive_directory_iterator(path_, ec); it != fs::recursive_directory_iterator(); ++it)
    if (!it->is_symlink()) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

void TempTree::write(const std::string& rel, const std::string& content, unsigned mode) const {
  fs::path p = fs::path(path_) / rel;
  fs::create_directories(p.parent_path());
  if (fs::exists(p)) fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  ::chmod(p.c_str(), mode);
}

void TempTree::symlink(const std::string& target, const std::string& rel) const {
  fs::path p = fs::path(path_) / rel;
  fs::create_directories(p.parent_path());
  fs::create_symlink(target, p);
}

void TempTree::fifo(const std::string& rel) const {
  fs::path p = fs::path(path_) / rel;
  fs::create_directories(p.parent_path());
  if (::mkfifo(p.c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed: " + p.string());
}

std::string TempTree::read(const std::string& rel) const {
  std::ifstream in(fs::path(path_) / rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempTree::copy_fixture(const std::string& name) const {
  const std::string dst = path_ + "/" + name;
  // cp -a keeps modes and relative symlinks exactly.
  const std::string cmd = "cp -a '" + fixture_host(name) + "' '" + dst + "'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("copy failed: " + cmd);
  return dst;
}

std::map<std::string, std::string> tree_state(const std::string& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path p = it->path();
    struct stat st {};
    ::lstat(p.c_str(), &st);
    std::string v = std::to_string(st.st_mode);
    if (it->is_symlink()) {
      v += " -> " + fs::read_symlink(p).string();
    } else if (it->is_regular_file()) {
      std::ifstream in(p, std::ios::binary);
      v += ":" + std::string(std::istreambuf_iterator<char>(in), {});
    }
    out[fs::relative(p, root).string()] = v;
  }
  return out;
}

std::string knob_refusal(const std::string& address) {
  try {
    make_knob(address);
  } catch (const InputError& e) {
    return e.what();
  }
  return "<accepted>";
}

Transaction apply_changes(const Host& host, const std::string& state, const std::vector<Change>& changes) {
  Plan p;
  p.profile = "unit";
  p.changes = changes;
  StateLock lock = StateLock::acquire(state, true);
  return apply_plan(host, p, state);
}

std::vector<Transaction> roll_back(const std::string& root, const std::string& state, bool force,
                                   std::optional<std::string> to) {
  RollbackRequest req;
  req.root = root;
  req.state_dir = state;
  req.force = force;
  req.to = std::move(to);
  return rollback(req);
}

Change change_to(const std::string& knob, const std::string& value) {
  Change c;
  c.knob = knob;
  c.value = value;
  c.desired = value;
  c.status = ChangeStatus::kChange;
  c.why = "test";
  return c;
}

}  // namespace tunectl::test
