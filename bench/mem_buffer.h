// An anonymous memory buffer for the memory benchmarks: 2 MiB aligned, advised for 4 KiB pages
// (MADV_NOHUGEPAGE) or THP (MADV_HUGEPAGE), with a reading of how much of it the kernel really
// backed with huge pages (AnonHugePages of its VMA in /proc/self/smaps).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tunectl::bench {

enum class PageMode { k4K, kThp };
// The calling thread's CPU time in ns. The memory benchmarks time with it, so being preempted
// by other load on a shared machine is not counted as memory cost.
double thread_cpu_ns();
const char* to_string(PageMode m);

class MemBuffer {
 public:
  // Throws tunectl::Error when the mapping or the advice fails.
  MemBuffer(size_t bytes, PageMode mode);
  ~MemBuffer();
  MemBuffer(const MemBuffer&) = delete;
  MemBuffer& operator=(const MemBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Binds the pages to a NUMA node (mbind MPOL_BIND) before they are touched. False if refused.
  bool bind_to_node(int node);
  // kB of this buffer backed by huge pages right now, from /proc/self/smaps.
  std::optional<int64_t> anon_huge_kb() const;

 private:
  uint8_t* map_ = nullptr;  // what mmap returned (over-allocated for alignment)
  size_t map_size_ = 0;
  uint8_t* data_ = nullptr;  // 2 MiB aligned start
  size_t size_ = 0;
};

}  // namespace tunectl::bench
