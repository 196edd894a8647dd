// The CPU power knob kinds (cpufreq, pstate, cpuidle, epb) on temporary copies of the fixture
// host trees: address grammar, validate/validate_for, write then read back, restore byte for byte
// (every file of the tree compared before and after), the operator's disabled idle state, the
// latency ceiling's matches(), and not_settable on hosts without the subsystem.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/errors.h"
#include "core/host.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/knob.h"

namespace tunectl {
namespace {
namespace fs = std::filesystem;
using test::TempTree;
using test::tree_state;

// Copying a fixture tree takes seconds, so each is copied once per test program and shared:
// every test leaves the copy exactly as it found it, and the tests that write prove it.
struct SharedTree {
  std::string root;
  std::map<std::string, std::string> pristine;
};
const SharedTree& shared(const std::string& name) {
  static TempTree tmp;
  static std::map<std::string, SharedTree> trees;
  auto it = trees.find(name);
  if (it == trees.end()) {
    const std::string root = tmp.copy_fixture(name);
    it = trees.emplace(name, SharedTree{root, tree_state(root)}).first;
  }
  return it->second;
}
const std::string& tree(const std::string& name) { return shared(name).root; }
void expect_pristine(const std::string& name) { EXPECT_EQ(tree_state(tree(name)), shared(name).pristine) << name; }

const std::string kCpu = "/sys/devices/system/cpu/";

// A file of a shared tree by kernel path; put() keeps the file's mode.
std::string get(const std::string& name, const std::string& path) {
  std::ifstream in(tree(name) + path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void put(const std::string& name, const std::string& path, const std::string& bytes) {
  const std::string p = tree(name) + path;
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
  ::chmod(p.c_str(), st.st_mode | S_IWUSR);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  ::chmod(p.c_str(), st.st_mode & 07777);
}

std::string raw_of(const Knob& k, const Host& h) {
  ReadResult r = k.read_raw(h);
  EXPECT_TRUE(r.ok) << r.error;
  return r.data;
}

TEST(CpuPowerKnobs, AddressGrammar) {
  for (const char* a : {"cpufreq:0-3,8:governor", "cpufreq:0:epp", "cpufreq:5:min_freq", "cpufreq:5:max_freq",
                        "pstate:no_turbo", "pstate:min_perf_pct", "pstate:max_perf_pct", "cpuidle:0-63:max_latency_us",
                        "epb:0-3,8"}) {
    auto k = make_knob(a);
    EXPECT_EQ(k->address(), a);
  }
  EXPECT_EQ(make_knob("cpufreq:0:governor")->kind(), "cpufreq");
  EXPECT_EQ(make_knob("pstate:no_turbo")->kind(), "pstate");
  EXPECT_EQ(make_knob("cpuidle:0:max_latency_us")->kind(), "cpuidle");
  EXPECT_EQ(make_knob("epb:0")->kind(), "epb");

  EXPECT_EQ(test::knob_refusal("cpufreq:3,0-2:governor"),
            "bad knob address 'cpufreq:3,0-2:governor': cpulist '3,0-2' is not canonical (write '0-3')");
  EXPECT_EQ(test::knob_refusal("cpufreq:0-1,1:governor"),
            "bad knob address 'cpufreq:0-1,1:governor': cpulist '0-1,1' is not canonical (write '0-1')");
  EXPECT_EQ(test::knob_refusal("cpufreq::governor"), "bad knob address 'cpufreq::governor': the cpulist is empty");
  EXPECT_EQ(test::knob_refusal("cpufreq:0-3:scaling_governor"),
            "bad knob address 'cpufreq:0-3:scaling_governor': 'scaling_governor' is not a cpufreq setting (allowed: "
            "governor, epp, min_freq, max_freq)");
  EXPECT_EQ(test::knob_refusal("cpufreq:0"),
            "bad knob address 'cpufreq:0': expected cpufreq:<cpulist>:{governor,epp,min_freq,max_freq}, e.g. "
            "cpufreq:0-3,8:governor");
  EXPECT_EQ(test::knob_refusal("cpufreq:../../x:governor").rfind("bad knob address 'cpufreq:../../x:governor': ", 0), 0u);
  EXPECT_EQ(test::knob_refusal("cpufreq:all:governor").rfind("bad knob address 'cpufreq:all:governor': ", 0), 0u);
  EXPECT_EQ(test::knob_refusal("pstate:turbo"),
            "bad knob address 'pstate:turbo': 'turbo' is not an intel_pstate setting (allowed: no_turbo, "
            "min_perf_pct, max_perf_pct)");
  EXPECT_EQ(test::knob_refusal("pstate:../status").rfind("bad knob address 'pstate:../status': '../status' is not", 0), 0u);
  EXPECT_EQ(test::knob_refusal("pstate:"),
            "bad knob address 'pstate:': expected pstate:{no_turbo,min_perf_pct,max_perf_pct}, e.g. pstate:no_turbo");
  EXPECT_EQ(test::knob_refusal("cpuidle:0-1:max_latency"),
            "bad knob address 'cpuidle:0-1:max_latency': 'max_latency' is not a cpuidle setting (allowed: "
            "max_latency_us)");
  EXPECT_EQ(test::knob_refusal("cpuidle:1-0:max_latency_us").rfind("bad knob address 'cpuidle:1-0:max_latency_us': ", 0), 0u);
  EXPECT_EQ(test::knob_refusal("epb:"), "bad knob address 'epb:': expected epb:<cpulist>, e.g. epb:0-3,8");
  EXPECT_EQ(test::knob_refusal("epb:0:x"), "bad knob address 'epb:0:x': expected epb:<cpulist>, e.g. epb:0-3,8");
  EXPECT_EQ(test::knob_refusal("epb:8,0"), "bad knob address 'epb:8,0': cpulist '8,0' is not canonical (write '0,8')");
}

TEST(CpuPowerKnobs, KindsAreRegistered) {
  std::vector<std::string> prefixes;
  for (const auto& k : knob_kinds()) prefixes.push_back(k.prefix);
  for (const char* p : {"cpufreq", "pstate", "cpuidle", "epb"})
    EXPECT_NE(std::find(prefixes.begin(), prefixes.end(), p), prefixes.end()) << p;
}

// --- cpufreq ------------------------------------------------------------------------------------

TEST(KnobCpufreq, GovernorOverMixedCpusRoundTrip) {
  const std::string name = "metal-2s-mlx5-k8s";
  Host h(tree(name));
  auto k = make_knob("cpufreq:7-9:governor");
  EXPECT_FALSE(k->not_settable(h));
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(raw,
            "cpu7/cpufreq/scaling_governor\t\"powersave\\n\"\n"
            "cpu8/cpufreq/scaling_governor\t\"performance\\n\"\n"
            "cpu9/cpufreq/scaling_governor\t\"performance\\n\"\n");
  EXPECT_EQ(k->normalise_raw(raw), "mixed: cpu7=powersave cpu8-9=performance");
  EXPECT_FALSE(k->matches(raw, "performance"));
  EXPECT_FALSE(k->matches(raw, "powersave"));

  EXPECT_EQ(k->validate("turbo").value_or(""),
            "must be one of performance, powersave, ondemand, conservative, userspace, schedutil, got 'turbo'");
  EXPECT_EQ(k->validate_for(h, "ondemand").value_or(""),
            "governor 'ondemand' is not offered for cpu7 (scaling_available_governors: performance, powersave)");
  ASSERT_FALSE(k->validate_for(h, "performance"));

  ASSERT_TRUE(k->write(h, "performance\n").ok());
  // Written through each cpuN/cpufreq link into its policy directory.
  EXPECT_EQ(get(name, kCpu + "cpufreq/policy7/scaling_governor"), "performance\n");
  const std::string after = raw_of(*k, h);
  EXPECT_EQ(k->normalise_raw(after), "performance");
  EXPECT_TRUE(k->matches(after, "performance"));

  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(raw_of(*k, h), raw);
  expect_pristine(name);
}

TEST(KnobCpufreq, CpusThatDoNotExistOrAreOffline) {
  const std::string name = "metal-2s-mlx5-k8s";
  Host h(tree(name));
  EXPECT_EQ(make_knob("cpufreq:63-64:governor")->validate_for(h, "performance").value_or(""),
            "CPU 64 does not exist (this host has 64 possible CPUs)");
  const std::string online = get(name, kCpu + "online");
  put(name, kCpu + "online", "0-61\n");
  EXPECT_EQ(make_knob("cpufreq:60-63:governor")->validate_for(h, "performance").value_or(""),
            "CPUs 62-63 are not online (online: 0-61)");
  EXPECT_EQ(make_knob("epb:62")->validate_for(h, "6").value_or(""), "CPUs 62 are not online (online: 0-61)");
  EXPECT_EQ(make_knob("cpuidle:62:max_latency_us")->validate_for(h, "20").value_or(""),
            "CPUs 62 are not online (online: 0-61)");
  put(name, kCpu + "online", online);
  expect_pristine(name);
}

TEST(KnobCpufreq, EppValidationAndRoundTrip) {
  const std::string name = "metal-2s-mlx5-k8s";
  Host h(tree(name));
  auto k = make_knob("cpufreq:0-1:epp");
  EXPECT_EQ(k->validate("default").value_or(""),
            "'default' cannot be verified (it reads back under the name of the preference it selects): name one of "
            "performance, balance_performance, balance_power, power");
  EXPECT_EQ(k->validate("128").value_or(""),
            "'128' cannot be verified (it reads back under the name of the preference it selects): name one of "
            "performance, balance_performance, balance_power, power");
  EXPECT_EQ(k->validate("fast").value_or(""),
            "must be one of performance, balance_performance, balance_power, power, got 'fast'");
  EXPECT_FALSE(k->validate_for(h, "balance_power"));
  // A word the kernel's list lacks on this host (older kernels offer fewer).
  const std::string prefs = kCpu + "cpufreq/policy1/energy_performance_available_preferences";
  const std::string offered = get(name, prefs);
  put(name, prefs, "default performance power \n");
  EXPECT_EQ(k->validate_for(h, "balance_power").value_or(""),
            "EPP 'balance_power' is not offered for cpu1 (energy_performance_available_preferences: default, "
            "performance, power)");
  put(name, prefs, offered);
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(k->normalise_raw(raw), "balance_performance");
  ASSERT_TRUE(k->write(h, "balance_power").ok());
  EXPECT_EQ(get(name, kCpu + "cpufreq/policy1/energy_performance_preference"), "balance_power\n");
  EXPECT_TRUE(k->matches(raw_of(*k, h), " balance_power "));
  ASSERT_TRUE(k->restore(h, raw).ok());
  expect_pristine(name);

  Host cloud(tree("cloud-ena"));
  EXPECT_EQ(k->not_settable(cloud).value_or(""),
            "no energy_performance_preference for CPU 0 (scaling driver acpi-cpufreq has no EPP; intel_pstate and "
            "amd-pstate offer it in active mode)");
  EXPECT_EQ(k->validate_for(cloud, "power").value_or(""), k->not_settable(cloud).value_or("-"));
}

TEST(KnobCpufreq, FrequencyLimitsAgainstTheHostsRange) {
  const std::string name = "cloud-ena";
  Host h(tree(name));
  auto mx = make_knob("cpufreq:0-15:max_freq");
  EXPECT_EQ(mx->validate("0").value_or(""), "must be 1..100000000, got 0");
  EXPECT_EQ(mx->validate("2.4GHz").value_or(""), "must be an integer 1..100000000, got '2.4GHz'");
  EXPECT_EQ(mx->validate_for(h, "3600000").value_or(""),
            "must be within cpu0's cpuinfo_min_freq..cpuinfo_max_freq (1200000..3001000 kHz), got 3600000");
  const std::string raw = raw_of(*mx, h);
  EXPECT_EQ(mx->normalise_raw(raw), "3001000");
  ASSERT_FALSE(mx->validate_for(h, "2400000"));
  ASSERT_TRUE(mx->write(h, "2400000").ok());
  EXPECT_EQ(get(name, kCpu + "cpufreq/policy15/scaling_max_freq"), "2400000\n");
  EXPECT_EQ(mx->normalise_raw(raw_of(*mx, h)), "2400000");
  auto mn = make_knob("cpufreq:3:min_freq");
  const std::string raw_min = raw_of(*mn, h);
  ASSERT_TRUE(mn->write(h, "2000000").ok());
  EXPECT_TRUE(mn->matches(raw_of(*mn, h), "2000000"));
  ASSERT_TRUE(mn->restore(h, raw_min).ok());
  ASSERT_TRUE(mx->restore(h, raw).ok());
  expect_pristine(name);

  auto gov = make_knob("cpufreq:0:governor");
  EXPECT_FALSE(gov->validate_for(h, "schedutil"));  // acpi-cpufreq offers the generic governors
}

TEST(KnobCpufreq, RestoreRefusesForeignOrBrokenComposites) {
  const std::string name = "metal-2s-mlx5-k8s";
  Host h(tree(name));
  auto k = make_knob("cpufreq:0-1:governor");
  auto foreign = k->restore(h,
                            "cpu0/cpufreq/scaling_governor\t\"performance\\n\"\n"
                            "cpu9/cpufreq/scaling_governor\t\"powersave\\n\"\n");
  EXPECT_EQ(foreign.err, EINVAL);
  EXPECT_EQ(foreign.message,
            "cpufreq:0-1:governor: cannot restore: 'cpu9/cpufreq/scaling_governor' is not one of this knob's files");
  EXPECT_EQ(k->restore(h, "cpu0/cpufreq/../../../../etc/x\t\"x\"\n").err, EINVAL);
  EXPECT_EQ(k->restore(h, "cpu0/cpufreq/scaling_governor performance\n").message,
            "cpufreq:0-1:governor: cannot restore: composite line 1 is not '<path>\\t<bytes>'");
  EXPECT_EQ(k->restore(h, "cpu0/cpufreq/scaling_governor\t\"performance\\n\"").err, EINVAL);  // no newline
  EXPECT_EQ(k->restore(h, "").err, EINVAL);
  expect_pristine(name);  // nothing was written
  EXPECT_EQ(k->normalise_raw("garbage"), "unreadable: composite line 1 has no newline");

  // Bytes outside printable ASCII survive the composite exactly.
  const std::string governor = get(name, kCpu + "cpufreq/policy0/scaling_governor");
  put(name, kCpu + "cpufreq/policy0/scaling_governor", std::string("a\tb\"\\\x01\xff\n", 8));
  const std::string odd = raw_of(*k, h);
  EXPECT_EQ(odd.substr(0, odd.find('\n') + 1), "cpu0/cpufreq/scaling_governor\t\"a\\tb\\\"\\\\\\u0001\\u00ff\\n\"\n");
  ASSERT_TRUE(k->write(h, "powersave").ok());
  ASSERT_TRUE(k->restore(h, odd).ok());
  EXPECT_EQ(get(name, kCpu + "cpufreq/policy0/scaling_governor"), std::string("a\tb\"\\\x01\xff\n", 8));
  put(name, kCpu + "cpufreq/policy0/scaling_governor", governor);
  expect_pristine(name);
}

TEST(KnobCpufreq, NotSettableWithoutADriver) {
  Host vm(tree("vm"));
  for (const char* a : {"cpufreq:0-1:governor", "cpufreq:0:epp", "cpufreq:1:max_freq"}) {
    auto k = make_knob(a);
    const std::string cpu = std::string(a).find(":1:") != std::string::npos ? "1" : "0";
    EXPECT_EQ(k->not_settable(vm).value_or(""),
              "no cpufreq driver for CPU " + cpu + " (no /sys/devices/system/cpu/cpu" + cpu + "/cpufreq)")
        << a;
    ReadResult r = k->read_raw(vm);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.err, ENOENT);
  }
}

// --- pstate -------------------------------------------------------------------------------------

TEST(KnobPstate, GlobalsRoundTripAndLimits) {
  const std::string name = "metal-2s-mlx5-k8s";
  Host h(tree(name));
  auto nt = make_knob("pstate:no_turbo");
  EXPECT_FALSE(nt->not_settable(h));
  EXPECT_EQ(nt->validate("2").value_or(""), "must be 0..1, got 2");
  const std::string raw = raw_of(*nt, h);
  EXPECT_EQ(raw, "0\n");
  ASSERT_TRUE(nt->write(h, "1").ok());
  EXPECT_EQ(get(name, kCpu + "intel_pstate/no_turbo"), "1\n");
  EXPECT_TRUE(nt->matches(raw_of(*nt, h), " 1 "));

  auto mn = make_knob("pstate:min_perf_pct");
  EXPECT_EQ(mn->validate("101").value_or(""), "must be 0..100, got 101");
  EXPECT_EQ(mn->validate_for(h, "10").value_or(""),
            "must be 25..100, got 10 (the kernel raises min_perf_pct to at least 25: the lowest P-state, 1000000 of "
            "3900000 kHz)");
  ASSERT_FALSE(mn->validate_for(h, "60"));
  const std::string raw_min = raw_of(*mn, h);
  ASSERT_TRUE(mn->write(h, "60").ok());
  EXPECT_EQ(get(name, kCpu + "intel_pstate/min_perf_pct"), "60\n");
  ASSERT_TRUE(mn->restore(h, raw_min).ok());
  ASSERT_TRUE(nt->restore(h, raw).ok());
  expect_pristine(name);

  put(name, kCpu + "intel_pstate/status", "off\n");
  EXPECT_EQ(nt->not_settable(h).value_or(""),
            "intel_pstate status is 'off': the driver is not registered and its attributes answer EAGAIN (needs "
            "active or passive)");
  put(name, kCpu + "intel_pstate/status", "passive\n");
  EXPECT_FALSE(nt->not_settable(h));
  put(name, kCpu + "intel_pstate/status", "active\n");
  expect_pristine(name);
}

TEST(KnobPstate, NotSettableWithoutIntelPstate) {
  Host cloud(tree("cloud-ena"));
  Host vm(tree("vm"));
  auto k = make_knob("pstate:max_perf_pct");
  EXPECT_EQ(k->not_settable(cloud).value_or(""),
            "intel_pstate is not in use (no /sys/devices/system/cpu/intel_pstate; cpufreq driver: acpi-cpufreq)");
  EXPECT_EQ(k->not_settable(vm).value_or(""),
            "intel_pstate is not in use (no /sys/devices/system/cpu/intel_pstate; cpufreq driver: none)");
}

// --- cpuidle ------------------------------------------------------------------------------------

TEST(KnobCpuidle, CeilingDisablesDeepStatesAndKeepsTheOperatorsChoice) {
  const std::string name = "metal-2s-mlx5-k8s";
  Host h(tree(name));
  const std::string c8 = kCpu + "cpu8/cpuidle/", c9 = kCpu + "cpu9/cpuidle/";
  auto k = make_knob("cpuidle:8-9:max_latency_us");
  EXPECT_FALSE(k->not_settable(h));
  const std::string raw = raw_of(*k, h);
  std::string want;
  for (int cpu : {8, 9})
    for (int s = 0; s < 4; ++s) {
      const std::string dir = "cpu" + std::to_string(cpu) + "/cpuidle/state" + std::to_string(s) + "/";
      const bool off = cpu == 8 && s == 3;  // the operator's choice
      want += dir + "disable\t\"" + (off ? "1" : "0") + "\\n\"\n";
      want += dir + "latency\t\"" + std::vector<std::string>{"0", "2", "10", "133"}[s] + "\\n\"\n";
    }
  EXPECT_EQ(raw, want);
  // cpu8's deepest enabled state is C1E (10 us), cpu9's C6 (133 us).
  EXPECT_EQ(k->normalise_raw(raw), "mixed: cpu8=10 cpu9=133");
  EXPECT_FALSE(k->matches(raw, "20"));
  EXPECT_FALSE(k->matches(raw, "132"));
  EXPECT_TRUE(k->matches(raw, "133"));
  EXPECT_TRUE(k->matches(raw, "1000"));
  EXPECT_FALSE(k->matches(raw, "x"));
  EXPECT_FALSE(k->matches("garbage", "1000"));

  EXPECT_EQ(k->validate("-1").value_or(""), "must be ≥ 0, got -1");
  EXPECT_EQ(k->validate("fast").value_or(""), "must be an integer ≥ 0, got 'fast'");
  ASSERT_FALSE(k->validate_for(h, "20"));

  ASSERT_TRUE(k->write(h, "20").ok());
  EXPECT_EQ(get(name, c9 + "state3/disable"), "1\n");  // C6 133 > 20
  EXPECT_EQ(get(name, c9 + "state2/disable"), "0\n");  // C1E 10 <= 20 stays enabled
  EXPECT_EQ(get(name, c8 + "state3/disable"), "1\n");
  const std::string after = raw_of(*k, h);
  EXPECT_TRUE(k->matches(after, "20"));
  EXPECT_TRUE(k->matches(after, "10"));
  EXPECT_FALSE(k->matches(after, "5"));  // C1E (10 us) is still enabled
  EXPECT_EQ(k->normalise_raw(after), "10");
  EXPECT_EQ(k->normalise(" 20 "), "20");

  // A ceiling above every state writes nothing (and never enables the operator's C6).
  ASSERT_TRUE(k->write(h, "500").ok());
  EXPECT_EQ(raw_of(*k, h), after);

  ASSERT_TRUE(k->restore(h, raw).ok());
  EXPECT_EQ(get(name, c8 + "state3/disable"), "1\n");  // still disabled, as the operator left it
  EXPECT_EQ(get(name, c9 + "state3/disable"), "0\n");
  expect_pristine(name);

  // Ceiling 0: everything but POLL.
  ASSERT_TRUE(k->write(h, "0").ok());
  for (int s = 1; s < 4; ++s) EXPECT_EQ(get(name, c9 + "state" + std::to_string(s) + "/disable"), "1\n") << s;
  EXPECT_EQ(get(name, c9 + "state0/disable"), "0\n");
  EXPECT_EQ(k->normalise_raw(raw_of(*k, h)), "0");
  ASSERT_TRUE(k->restore(h, raw).ok());
  expect_pristine(name);
}

TEST(KnobCpuidle, RestoreWritesOnlyDisableFilesOfItsCpus) {
  const std::string name = "cloud-ena";
  Host h(tree(name));
  auto k = make_knob("cpuidle:2:max_latency_us");
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(k->normalise_raw(raw), "100");
  ASSERT_TRUE(k->write(h, "50").ok());
  EXPECT_EQ(get(name, kCpu + "cpu2/cpuidle/state2/disable"), "1\n");
  EXPECT_TRUE(k->matches(raw_of(*k, h), "50"));
  EXPECT_EQ(k->restore(h, "cpu3/cpuidle/state2/disable\t\"0\\n\"\n").message,
            "cpuidle:2:max_latency_us: cannot restore: 'cpu3/cpuidle/state2/disable' is not one of this knob's files");
  EXPECT_EQ(k->restore(h, "cpu2/cpuidle/state2/name\t\"C9\\n\"\n").err, EINVAL);
  // Latency lines are context: a journal claiming another latency does not rewrite the file.
  std::string doctored = raw;
  doctored.replace(doctored.find("\"100\\n\""), 7, "\"999\\n\"");
  ASSERT_TRUE(k->restore(h, doctored).ok());
  expect_pristine(name);
}

TEST(KnobCpuidle, NotSettableWithoutIdleStates) {
  Host vm(tree("vm"));
  auto k = make_knob("cpuidle:0-1:max_latency_us");
  const std::string why =
      "CPU 0 has no idle states (cpuidle driver: none; no /sys/devices/system/cpu/cpu0/cpuidle/state*)";
  EXPECT_EQ(k->not_settable(vm).value_or(""), why);
  EXPECT_EQ(k->validate_for(vm, "20").value_or(""), why);
  ReadResult r = k->read_raw(vm);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_EQ(r.error, why);
  EXPECT_EQ(k->write(vm, "20").err, ENOENT);
}

// --- epb ----------------------------------------------------------------------------------------

TEST(KnobEpb, NamesAndNumbersRoundTrip) {
  const std::string name = "metal-2s-mlx5-k8s";
  Host h(tree(name));
  auto k = make_knob("epb:7-8");
  EXPECT_FALSE(k->not_settable(h));
  const std::string raw = raw_of(*k, h);
  EXPECT_EQ(raw, "cpu7/power/energy_perf_bias\t\"6\\n\"\ncpu8/power/energy_perf_bias\t\"0\\n\"\n");
  EXPECT_EQ(k->normalise_raw(raw), "mixed: cpu7=6 cpu8=0");
  EXPECT_EQ(k->validate("16").value_or(""), "must be 0..15, got 16");
  EXPECT_EQ(k->validate("eco").value_or(""),
            "must be 0..15 or one of performance, balance-performance, normal, balance-power, power, got 'eco'");
  EXPECT_FALSE(k->validate("balance-power"));
  EXPECT_EQ(k->normalise("balance-power"), "8");
  EXPECT_EQ(k->normalise("normal"), "6");
  ASSERT_FALSE(k->validate_for(h, "power"));
  ASSERT_TRUE(k->write(h, "power").ok());
  EXPECT_EQ(get(name, kCpu + "cpu7/power/energy_perf_bias"), "15\n");
  const std::string after = raw_of(*k, h);
  EXPECT_EQ(k->normalise_raw(after), "15");
  EXPECT_TRUE(k->matches(after, "power"));
  EXPECT_TRUE(k->matches(after, "15"));
  ASSERT_TRUE(k->restore(h, raw).ok());
  expect_pristine(name);
}

TEST(KnobEpb, NotSettableWithoutEpb) {
  Host cloud(tree("cloud-ena"));
  Host vm(tree("vm"));
  auto k = make_knob("epb:0-1");
  const std::string why =
      "/sys/devices/system/cpu/cpu0/power/energy_perf_bias does not exist (no energy/performance bias: the CPU lacks "
      "the epb feature, as in most VMs, or the kernel predates 5.2)";
  EXPECT_EQ(k->not_settable(cloud).value_or(""), why);
  EXPECT_EQ(k->not_settable(vm).value_or(""), why);
}

}  // namespace
}  // namespace tunectl
