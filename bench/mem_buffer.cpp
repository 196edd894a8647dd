#include "bench/mem_buffer.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/errors.h"

namespace tunectl::bench {
namespace {
constexpr size_t kHugeSize = 2u << 20;
constexpr int kMpolBind = 2;  // MPOL_BIND from linux/mempolicy.h (no libnuma dependency)
}  // namespace

const char* to_string(PageMode m) { return m == PageMode::kThp ? "thp" : "4k"; }

double thread_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

MemBuffer::MemBuffer(size_t bytes, PageMode mode) : size_(bytes) {
  map_size_ = bytes + kHugeSize;  // room to align the start on a huge-page boundary
  void* p = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw Error(std::string("mmap of ") + std::to_string(map_size_ >> 20) + " MiB failed: " + std::strerror(errno));
  map_ = static_cast<uint8_t*>(p);
  data_ = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(map_) + kHugeSize - 1) & ~(kHugeSize - 1));
  const int advice = mode == PageMode::kThp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE;
  if (::madvise(data_, size_, advice) != 0) {
    int err = errno;
    ::munmap(map_, map_size_);
    throw Error(std::string("madvise(") + (mode == PageMode::kThp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE") +
                ") failed: " + std::strerror(err) + (err == EINVAL ? " (kernel without THP?)" : ""));
  }
}

MemBuffer::~MemBuffer() {
  if (map_) ::munmap(map_, map_size_);
}

bool MemBuffer::bind_to_node(int node) {
  if (node < 0 || node >= 1024) return false;
  unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {};
  mask[node / (8 * sizeof(unsigned long))] |= 1ul << (node % (8 * sizeof(unsigned long)));
  return ::syscall(SYS_mbind, data_, size_, kMpolBind, mask, 1024ul, 0u) == 0;
}

std::optional<int64_t> MemBuffer::anon_huge_kb() const {
  // The VMA holding data_ may have been split by madvise; sum every VMA inside our mapping.
  std::ifstream in("/proc/self/smaps");
  if (!in) return std::nullopt;
  const uintptr_t lo = reinterpret_cast<uintptr_t>(data_), hi = lo + size_;
  std::string line;
  bool inside = false;
  int64_t total = 0;
  while (std::getline(in, line)) {
    uintptr_t start = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> start >> dash >> end && dash == '-' && line.find(':') > line.find(' ')) {
      inside = start < hi && end > lo;
      continue;
    }
    if (inside && line.rfind("AnonHugePages:", 0) == 0) total += std::stoll(line.substr(14));
  }
  return total;
}

}  // namespace tunectl::bench
