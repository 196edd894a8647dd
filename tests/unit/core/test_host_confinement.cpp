// A captured tree confines every Host operation to itself: symlink chains, absolute and ".." links
// and a file swapped for a link mid-run never reach a file outside. Each case runs twice, through
// openat2(RESOLVE_IN_ROOT) and through the user-space walk used when the kernel lacks it.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/errors.h"
#include "core/host.h"
#include "core/tree_open.h"
#include "tests/unit/test_helpers.h"

namespace tunectl {
namespace {

using test::TempTree;
namespace fs = std::filesystem;

constexpr const char* kKnob = "/proc/sys/net/core/somaxconn";

class Confinement : public ::testing::TestWithParam<TreeResolver> {
 protected:
  void SetUp() override {
    set_tree_resolver(GetParam());
    outside_.write("secret", "outside\n", 0600);
  }
  void TearDown() override { set_tree_resolver(TreeResolver::kAuto); }

  std::string secret() const { return outside_.path() + "/secret"; }
  // `n` links l1 -> l2 -> ... -> ln -> `target`, the knob being l1 (named kKnob).
  void chain(int n, const std::string& target) const {
    for (int i = 1; i <= n; ++i) {
      const std::string rel = "proc/sys/net/core/" + (i == 1 ? std::string("somaxconn") : "l" + std::to_string(i));
      tree_.symlink(i == n ? target : "l" + std::to_string(i + 1), rel);
    }
  }

  TempTree tree_, outside_;
};

TEST_P(Confinement, AChainOfFortyOneLinksIsELOOPAndNeverReachesTheTarget) {
  chain(41, secret());
  Host h(tree_.path());
  EXPECT_EQ(h.write(kKnob, "1"), ELOOP);
  const ReadResult r = h.read(kKnob);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, ELOOP);
  EXPECT_FALSE(h.exists(kKnob));
  EXPECT_EQ(h.resolve(kKnob), "");  // no unresolved path handed to a caller
  EXPECT_EQ(outside_.read("secret"), "outside\n");
}

TEST_P(Confinement, ARelativeChainOutOfTheTreeIsELOOPToo) {
  chain(45, "../../../../../../../../../../../../" + secret());
  Host h(tree_.path());
  EXPECT_EQ(h.write(kKnob, "1"), ELOOP);
  EXPECT_EQ(h.read(kKnob).err, ELOOP);
  EXPECT_EQ(outside_.read("secret"), "outside\n");
}

TEST_P(Confinement, FortyLinksAreFollowedLikeTheKernelDoes) {
  tree_.write("etc/target", "inside\n");
  chain(40, "/etc/target");
  Host h(tree_.path());
  EXPECT_EQ(h.read_trimmed(kKnob), "inside");
  EXPECT_EQ(h.write(kKnob, "2"), 0);
  EXPECT_EQ(tree_.read("etc/target"), "2");
}

TEST_P(Confinement, AnAbsoluteLinkStartsAtTheTreesRoot) {
  tree_.symlink(secret(), "proc/sys/net/core/somaxconn");
  Host h(tree_.path());
  // The same absolute path inside the tree does not exist: refused, the real one untouched.
  EXPECT_EQ(h.write(kKnob, "1"), ENOENT);
  EXPECT_EQ(h.read(kKnob).err, ENOENT);
  EXPECT_EQ(outside_.read("secret"), "outside\n");
  // Once it exists inside the tree, that is what is read and written.
  tree_.write(secret().substr(1), "mirror\n");
  EXPECT_EQ(h.read_trimmed(kKnob), "mirror");
  EXPECT_EQ(h.write(kKnob, "3"), 0);
  EXPECT_EQ(tree_.read(secret().substr(1)), "3");
  EXPECT_EQ(h.resolve(kKnob), tree_.path() + secret());
  EXPECT_EQ(outside_.read("secret"), "outside\n");
}

TEST_P(Confinement, DotDotStopsAtTheTreesRoot) {
  tree_.write("etc/passwd", "inside\n");
  tree_.symlink("../../../../../../../../../etc", "sys/up");
  Host h(tree_.path());
  EXPECT_EQ(h.read_trimmed("/../../../../etc/passwd"), "inside");
  EXPECT_EQ(h.read_trimmed("/sys/up/passwd"), "inside");
  EXPECT_EQ(h.write("/sys/up/../../../etc/passwd", "x"), 0);
  EXPECT_EQ(tree_.read("etc/passwd"), "x");
  EXPECT_EQ(h.list("/sys/up/.."), (std::vector<std::string>{"etc", "sys"}));
}

TEST_P(Confinement, DirectoryOperationsStayInsideToo) {
  // A directory link to outside: listing, creating and removing all happen in the tree's copy.
  outside_.write("cg/cpu.max", "max 100000\n");
  tree_.symlink(outside_.path() + "/cg", "sys/fs/cgroup");
  fs::create_directories(tree_.path() + outside_.path() + "/cg");
  Host h(tree_.path());
  EXPECT_TRUE(h.list("/sys/fs/cgroup").empty());
  EXPECT_EQ(h.make_dir("/sys/fs/cgroup/new"), 0);
  EXPECT_EQ(h.create_file("/sys/fs/cgroup/new/cpu.max", "max\n"), 0);
  EXPECT_TRUE(fs::exists(tree_.path() + outside_.path() + "/cg/new/cpu.max"));
  EXPECT_FALSE(fs::exists(outside_.path() + "/cg/new"));
  EXPECT_EQ(h.remove_file("/sys/fs/cgroup/new/cpu.max"), 0);
  EXPECT_EQ(h.remove_dir("/sys/fs/cgroup/new"), 0);
  EXPECT_EQ(h.remove_file("/sys/fs/cgroup/cpu.max"), ENOENT);
  EXPECT_EQ(outside_.read("cg/cpu.max"), "max 100000\n");
}

TEST_P(Confinement, CreateFileNeverFollowsALinkAndRemoveFileRemovesTheLinkItself) {
  tree_.symlink(outside_.path() + "/planted", "sys/fs/cgroup/a/cpu.max");  // dangling, re-rooted
  tree_.symlink(secret(), "sys/fs/cgroup/a/cpu.weight");
  Host h(tree_.path());
  EXPECT_EQ(h.create_file("/sys/fs/cgroup/a/cpu.max", "max\n"), EEXIST);
  EXPECT_FALSE(fs::exists(outside_.path() + "/planted"));
  EXPECT_EQ(h.remove_file("/sys/fs/cgroup/a/cpu.weight"), 0);
  EXPECT_FALSE(fs::is_symlink(tree_.path() + "/sys/fs/cgroup/a/cpu.weight"));
  EXPECT_EQ(outside_.read("secret"), "outside\n");
}

TEST_P(Confinement, AFileSwappedForALinkBetweenTwoCallsIsNotWrittenThrough) {
  tree_.write("proc/sys/net/core/somaxconn", "128\n");
  Host h(tree_.path());
  ASSERT_TRUE(h.exists(kKnob));
  ASSERT_EQ(h.read_trimmed(kKnob), "128");
  // Swapped after the first resolution: the next write resolves again, inside the tree.
  const std::string real = tree_.path() + kKnob;
  fs::remove(real);
  fs::create_symlink(secret(), real);
  EXPECT_EQ(h.write(kKnob, "4096"), ENOENT);
  // And a directory on the way swapped for a link to an outside directory.
  fs::remove(real);
  outside_.write("core/somaxconn", "outside\n");
  fs::rename(tree_.path() + "/proc/sys/net/core", tree_.path() + "/proc/sys/net/core.old");
  fs::create_symlink(outside_.path() + "/core", tree_.path() + "/proc/sys/net/core");
  EXPECT_EQ(h.write(kKnob, "4096"), ENOENT);
  EXPECT_EQ(outside_.read("secret"), "outside\n");
  EXPECT_EQ(outside_.read("core/somaxconn"), "outside\n");
}

TEST_P(Confinement, AFileFlippingToALinkDuringWritesNeverLandsOutside) {
  tree_.write("proc/sys/net/core/somaxconn", "128\n");
  const std::string dir = tree_.path() + "/proc/sys/net/core/";
  std::atomic<bool> stop{false};
  // Atomically replaces the knob, over and over, by a plain file or by a link to the outside file.
  std::thread flipper([&] {
    for (unsigned i = 0; !stop; ++i) {
      const std::string tmp = dir + "flip";
      std::error_code ec;
      fs::remove(tmp, ec);
      if (i % 2) {
        fs::create_symlink(secret(), tmp, ec);
      } else {
        std::FILE* f = std::fopen(tmp.c_str(), "w");
        if (f) std::fclose(f);
      }
      std::rename(tmp.c_str(), (dir + "somaxconn").c_str());
    }
  });
  Host h(tree_.path());
  int written = 0;
  for (int i = 0; i < 3000; ++i) written += h.write(kKnob, "4096") == 0;
  stop = true;
  flipper.join();
  EXPECT_GT(written, 0);  // the race was real: some writes met the plain file
  EXPECT_EQ(outside_.read("secret"), "outside\n");
}

TEST_P(Confinement, AFifoInATreeIsRefusedNotWaitedOn) {
  tree_.fifo("proc/interrupts");
  Host h(tree_.path());
  ReadResult r;
  ASSERT_TRUE(test::returns_promptly([&] { r = h.read("/proc/interrupts"); }, tree_.path() + "/proc/interrupts"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, EINVAL);
  EXPECT_EQ(r.error, "/proc/interrupts: not a regular file");
}

INSTANTIATE_TEST_SUITE_P(Resolvers, Confinement, ::testing::Values(TreeResolver::kOpenat2, TreeResolver::kWalk),
                         [](const auto& info) { return info.param == TreeResolver::kWalk ? "Walk" : "Openat2"; });

TEST(TreeOpen, TheWalkMatchesTheKernelOnTheSameTree) {
  TempTree t;
  t.write("a/b/file", "x");
  t.symlink("b", "a/lnk");
  t.symlink("/a/lnk/file", "abs");
  t.symlink("../../../a", "a/b/up");
  t.symlink("loop2", "loop1");
  t.symlink("loop1", "loop2");
  UniqueFd root(::open(t.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root.valid());
  for (int flags : {O_RDONLY, O_PATH, O_PATH | O_DIRECTORY, O_RDONLY | O_DIRECTORY, O_PATH | O_NOFOLLOW}) {
    for (const char* p : {"/a/lnk/file", "abs", "/a/b/up/b/file", "/../a/./b/file", "loop1", "/a/b/file/x", "/nope",
                          "a/lnk", "/", "/a/b/up"}) {
      UniqueFd k, w;
      set_tree_resolver(TreeResolver::kOpenat2);
      const int kerr = open_in_tree(root.get(), p, flags, 0, k);
      const int werr = open_in_tree_walk(root.get(), p, flags, 0, w);
      set_tree_resolver(TreeResolver::kAuto);
      EXPECT_EQ(kerr, werr) << p << " flags " << flags;
      struct stat ks, ws;
      if (kerr == 0 && werr == 0) {
        ASSERT_EQ(::fstat(k.get(), &ks), 0);
        ASSERT_EQ(::fstat(w.get(), &ws), 0);
        EXPECT_EQ(ks.st_ino, ws.st_ino) << p << " flags " << flags;
      }
    }
  }
}

TEST(DisguisedLiveRoot, AnyOtherSpellingOfSlashIsRefused) {
  TempTree t;
  t.symlink("/", "fake");
  for (const std::string& root : {t.path() + "/fake", std::string("//"), std::string("/."), t.path() + "/fake/"}) {
    EXPECT_THROW(Host{root}, InputError) << root;
    EXPECT_THROW(host_for_root(root), InputError) << root;
    EXPECT_THROW(canonical_root(root), InputError) << root;
  }
  try {
    host_for_root(t.path() + "/fake");
    FAIL() << "a symlink to / was accepted as a tree";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is the live host's /"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(Host("/").is_live());
  EXPECT_EQ(canonical_root("/"), "/");
  EXPECT_EQ(canonical_root(t.path()), fs::canonical(t.path()).string());
}

}  // namespace
}  // namespace tunectl
