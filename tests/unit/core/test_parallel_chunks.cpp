// run_chunks and chunk_count: every item exactly once, in contiguous ranges in input order, on as
// many threads as asked; an exception reaches the caller only after every thread has finished.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/parallel_chunks.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

// TUNECTL_PROBE_THREADS for one scope.
struct ThreadsEnv : test::EnvVar {
  explicit ThreadsEnv(const char* value) : test::EnvVar("TUNECTL_PROBE_THREADS", value) {}
};

TEST(ParallelChunks, ChunkCountFollowsTheSettingAndTheMinimumPerChunk) {
  {
    ThreadsEnv four("4");
    EXPECT_EQ(worker_cap(), 4u);
    EXPECT_EQ(chunk_count(4096, 256), 4u);
    EXPECT_EQ(chunk_count(511, 256), 1u);  // below two chunks' worth: one thread
    EXPECT_EQ(chunk_count(768, 256), 3u);
    EXPECT_EQ(chunk_count(0, 256), 1u);
  }
  {
    ThreadsEnv one("1");
    EXPECT_EQ(chunk_count(100000, 1), 1u);
  }
  {
    ThreadsEnv many("64");
    EXPECT_EQ(worker_cap(), 8u);  // capped: sysfs reads stop scaling
  }
  {
    ThreadsEnv junk("lots");
    EXPECT_GE(worker_cap(), 1u);  // ignored: the CPUs decide
    EXPECT_LE(worker_cap(), 8u);
  }
}

TEST(ParallelChunks, CoversEveryItemOnceInContiguousOrderedRanges) {
  for (size_t items : {0u, 1u, 7u, 1000u, 4097u}) {
    for (size_t chunks : {1u, 3u, 8u}) {
      SCOPED_TRACE(std::to_string(items) + " items, " + std::to_string(chunks) + " chunks");
      std::vector<std::atomic<int>> seen(items);
      std::mutex m;
      std::vector<std::pair<size_t, size_t>> ranges(chunks, {SIZE_MAX, SIZE_MAX});
      std::set<std::thread::id> threads;
      run_chunks(items, chunks, [&](size_t k, size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) ++seen[i];
        std::lock_guard<std::mutex> lock(m);
        ranges.at(k) = {begin, end};
        threads.insert(std::this_thread::get_id());
      });
      for (size_t i = 0; i < items; ++i) EXPECT_EQ(seen[i].load(), 1) << i;
      // Chunk k starts where chunk k-1 ended; the last ends at `items`.
      size_t next = 0, used = 0;
      for (const auto& [begin, end] : ranges) {
        if (begin == SIZE_MAX) continue;  // more chunks than items
        EXPECT_EQ(begin, next);
        EXPECT_LE(begin, end);
        next = end;
        ++used;
      }
      EXPECT_EQ(next, items);
      EXPECT_EQ(threads.size(), used);  // each chunk its own thread
      EXPECT_EQ(used, std::max<size_t>(1, std::min(chunks, items)));
    }
  }
}

// Each chunk reports into errors of its own; they come out in item order, after what was there.
TEST(ParallelChunks, OrderedChunksJoinTheirErrorsInItemOrder) {
  ThreadsEnv four("4");
  std::vector<std::string> errors = {"earlier"};
  std::vector<int> seen(1000, 0);
  run_in_ordered_chunks(1000, 100, errors, [&](size_t begin, size_t end, std::vector<std::string>& e) {
    for (size_t i = begin; i < end; ++i) {
      ++seen[i];
      if (i % 150 == 0) e.push_back(std::to_string(i));
    }
  });
  EXPECT_EQ(errors, (std::vector<std::string>{"earlier", "0", "150", "300", "450", "600", "750", "900"}));
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 1000);
}

TEST(ParallelChunks, FirstExceptionInChunkOrderAfterEveryChunkFinished) {
  std::atomic<int> finished{0};
  try {
    run_chunks(300, 3, [&](size_t k, size_t, size_t) {
      if (k == 2) throw std::runtime_error("chunk 2");
      if (k == 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // still running when 2 throws
        ++finished;
        throw std::runtime_error("chunk 1");
      }
      ++finished;
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "chunk 1");
  }
  EXPECT_EQ(finished.load(), 2);  // chunks 0 and 1 ran to the end before the rethrow
}

}  // namespace
}  // namespace tunectl
