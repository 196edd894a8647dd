// The sysctls fleets set daily (issue 11): ranges, the name-valued ones checked against the host
// (tcp_congestion_control against tcp_available_congestion_control, default_qdisc against the
// parameterless qdiscs), nf_conntrack_max missing without its module, the dirty ratios refused
// while the host limits by bytes, per-netns marking, and "did you mean" for unknown names.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/host.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/knob.h"
#include "tuner/plan/planner.h"
#include "tuner/profile/profile.h"

namespace tunectl {
namespace {
using test::TempTree;

std::string invalid(const std::string& address, const std::string& value) {
  return make_knob(address)->validate(value).value_or("<valid>");
}

TEST(NewSysctls, RangesAndUnits) {
  EXPECT_EQ(invalid("sysctl:net.ipv4.tcp_mtu_probing", "2"), "<valid>");
  EXPECT_EQ(invalid("sysctl:net.ipv4.tcp_mtu_probing", "3"), "must be 0..2, got 3");
  EXPECT_EQ(invalid("sysctl:net.ipv4.tcp_notsent_lowat", "16384"), "<valid>");
  EXPECT_EQ(invalid("sysctl:net.ipv4.tcp_notsent_lowat", "4294967295"), "<valid>");
  EXPECT_EQ(invalid("sysctl:net.ipv4.tcp_notsent_lowat", "0"), "must be 1..4294967295, got 0");
  EXPECT_EQ(invalid("sysctl:net.ipv4.tcp_notsent_lowat", "4294967296"), "must be 1..4294967295, got 4294967296");
  EXPECT_EQ(invalid("sysctl:net.core.optmem_max", "131072"), "<valid>");
  EXPECT_EQ(invalid("sysctl:net.core.optmem_max", "1024"), "must be ≥ 4096, got 1024");
  EXPECT_EQ(invalid("sysctl:net.netfilter.nf_conntrack_max", "1048576"), "<valid>");
  EXPECT_EQ(invalid("sysctl:net.netfilter.nf_conntrack_max", "0"), "must be ≥ 1, got 0");
  EXPECT_EQ(invalid("sysctl:vm.overcommit_memory", "2"), "<valid>");
  EXPECT_EQ(invalid("sysctl:vm.overcommit_memory", "3"), "must be 0..2, got 3");
  EXPECT_EQ(invalid("sysctl:vm.dirty_ratio", "101"), "must be 0..100, got 101");
  EXPECT_EQ(invalid("sysctl:vm.dirty_background_ratio", "5"), "<valid>");
  EXPECT_EQ(invalid("sysctl:kernel.pid_max", "4194304"), "<valid>");
  EXPECT_EQ(invalid("sysctl:kernel.pid_max", "300"), "must be 301..4194304, got 300");
  EXPECT_EQ(invalid("sysctl:kernel.pid_max", "4194305"), "must be 301..4194304, got 4194305");
  EXPECT_EQ(invalid("sysctl:fs.nr_open", "1073741816"), "<valid>");
  EXPECT_EQ(invalid("sysctl:fs.nr_open", "2147483584"), "<valid>");
  EXPECT_EQ(invalid("sysctl:fs.nr_open", "2147483585"), "must be 64..2147483584, got 2147483585");
  EXPECT_EQ(invalid("sysctl:fs.nr_open", "63"), "must be 64..2147483584, got 63");
  // file-max is an unsigned long bounded by LONG_MAX: systemd sets it to exactly that.
  EXPECT_EQ(invalid("sysctl:fs.file-max", "9223372036854775807"), "<valid>");
  EXPECT_EQ(invalid("sysctl:fs.file-max", "8191"), "must be ≥ 8192, got 8191");
  EXPECT_EQ(invalid("sysctl:fs.file-max", "9223372036854775808"),
            "must be an integer ≥ 8192, got '9223372036854775808'");
  EXPECT_EQ(invalid("sysctl:fs.file-max", "lots"), "must be an integer ≥ 8192, got 'lots'");
}

TEST(NewSysctls, PerNetnsMarking) {
  for (const char* n : {"net.ipv4.tcp_congestion_control", "net.ipv4.tcp_mtu_probing", "net.ipv4.tcp_notsent_lowat",
                        "net.core.optmem_max"})
    EXPECT_TRUE(make_knob(std::string("sysctl:") + n)->per_netns()) << n;
  for (const char* n : {"net.core.default_qdisc", "net.netfilter.nf_conntrack_max", "fs.file-max", "fs.nr_open",
                        "vm.overcommit_memory", "vm.dirty_ratio", "vm.dirty_background_ratio", "kernel.pid_max"})
    EXPECT_FALSE(make_knob(std::string("sysctl:") + n)->per_netns()) << n;
}

TEST(NewSysctls, CongestionControlIsCheckedAgainstWhatTheHostOffers) {
  auto k = make_knob("sysctl:net.ipv4.tcp_congestion_control");
  EXPECT_FALSE(k->validate("bbr"));
  EXPECT_EQ(k->validate("BBR").value_or(""), "must be a name (a letter, then up to 14 of a-z, 0-9, '_'), got 'BBR'");
  EXPECT_EQ(k->validate("3").value_or(""), "must be a name (a letter, then up to 14 of a-z, 0-9, '_'), got '3'");
  EXPECT_EQ(k->validate("../bbr").value_or("").rfind("must be a name", 0), 0u);
  EXPECT_EQ(k->validate("averyveryverylongname").value_or("").rfind("must be a name", 0), 0u);

  // The captured vm offers reno bbr cubic; cloud-ena only reno cubic.
  Host vm(test::fixture_host("vm"));
  EXPECT_FALSE(k->validate_for(vm, "bbr"));
  EXPECT_FALSE(k->validate_for(vm, "cubic"));
  Host ena(test::fixture_host("cloud-ena"));
  EXPECT_EQ(k->validate_for(ena, "bbr").value_or(""),
            "congestion control 'bbr' is not available on this host (tcp_available_congestion_control: reno cubic); "
            "tunectl does not load modules: load tcp_bbr first");

  // The knob's file exists but the list cannot be read: refused, never guessed.
  TempTree t;
  t.write("proc/sys/net/ipv4/tcp_congestion_control", "cubic\n");
  Host h(t.path());
  EXPECT_EQ(k->validate_for(h, "cubic").value_or("").rfind("cannot check 'cubic' against the available congestion "
                                                           "controls: ", 0), 0u);
  // No file at all: valid here, and the planner reports the knob as missing.
  TempTree empty;
  EXPECT_FALSE(k->validate_for(Host(empty.path()), "bbr"));
}

TEST(NewSysctls, CongestionControlWritesAndRestoresOnATree) {
  TempTree t;
  const std::string root = t.copy_fixture("cloud-ena");
  Host h(root);
  auto k = make_knob("sysctl:net.ipv4.tcp_congestion_control");
  const ReadResult before = k->read_raw(h);
  ASSERT_TRUE(before.ok) << before.error;
  EXPECT_EQ(before.data, "cubic\n");
  ASSERT_TRUE(k->write(h, "reno").ok());
  EXPECT_TRUE(k->matches(k->read_raw(h).data, "reno"));
  EXPECT_EQ(k->read_raw(h).data, "reno\n");
  ASSERT_TRUE(k->restore(h, before.data).ok());
  EXPECT_EQ(k->read_raw(h).data, "cubic\n");
}

TEST(NewSysctls, DefaultQdiscOnlyParameterlessOnes) {
  auto k = make_knob("sysctl:net.core.default_qdisc");
  for (const char* q : {"pfifo_fast", "fq", "fq_codel", "fq_pie", "cake", "codel", "pie", "sfq"})
    EXPECT_FALSE(k->validate(q)) << q;
  EXPECT_EQ(k->validate("htb").value_or(""),
            "must be one of pfifo_fast, fq, fq_codel, fq_pie, cake, codel, pie, sfq (qdiscs that work without "
            "parameters), got 'htb'");
  EXPECT_EQ(k->validate("fq codel").value_or("").rfind("must be a name", 0), 0u);
  EXPECT_EQ(k->validate("").value_or("").rfind("must be a name", 0), 0u);
  Host vm(test::fixture_host("vm"));
  EXPECT_EQ(k->normalise(k->read_raw(vm).data), "pfifo_fast");
  EXPECT_FALSE(k->matches(k->read_raw(vm).data, "fq"));
}

TEST(NewSysctls, ConntrackWithoutItsModuleIsAMissingKnob) {
  auto k = make_knob("sysctl:net.netfilter.nf_conntrack_max");
  Host ena(test::fixture_host("cloud-ena"));  // no nf_conntrack loaded there
  const ReadResult r = k->read_raw(ena);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_NE(r.error.find("(the nf_conntrack module is not loaded (tunectl never loads kernel modules))"),
            std::string::npos) << r.error;
  EXPECT_NE(k->not_settable(ena).value_or("").find("nf_conntrack module is not loaded"), std::string::npos);
  Host metal(test::fixture_host("metal-2s-mlx5-k8s"));
  EXPECT_EQ(k->normalise_raw(k->read_raw(metal).data), "2097152");
  EXPECT_FALSE(k->not_settable(metal));

  // Planned: missing on cloud-ena, a change on metal.
  TempTree t;
  t.write("p.json", R"({"sysctl": {"net.netfilter.nf_conntrack_max": 4194304}})");
  const Profile p = load_profile(t.path() + "/p.json", {});
  const Plan on_ena = make_plan(ena, plan_snapshot(ena, plan_areas(p)), p);
  ASSERT_EQ(on_ena.skipped.size(), 1u);
  EXPECT_EQ(on_ena.skipped[0].status, ChangeStatus::kMissing);
  EXPECT_NE(on_ena.skipped[0].reason.find("nf_conntrack module is not loaded"), std::string::npos);
  const Plan on_metal = make_plan(metal, plan_snapshot(metal, plan_areas(p)), p);
  ASSERT_EQ(on_metal.changes.size(), 1u);
  EXPECT_EQ(on_metal.changes[0].current, "2097152");
}

TEST(NewSysctls, DirtyRatiosRefusedWhileTheHostLimitsByBytes) {
  TempTree t;
  t.write("proc/sys/vm/dirty_ratio", "0\n");
  t.write("proc/sys/vm/dirty_bytes", "268435456\n");
  t.write("proc/sys/vm/dirty_background_ratio", "10\n");
  t.write("proc/sys/vm/dirty_background_bytes", "0\n");
  Host h(t.path());
  EXPECT_EQ(make_knob("sysctl:vm.dirty_ratio")->validate_for(h, "20").value_or(""),
            "this host limits dirty memory by vm.dirty_bytes (268435456); writing the ratio would zero it, and "
            "rolling back the ratio could not restore it");
  EXPECT_FALSE(make_knob("sysctl:vm.dirty_background_ratio")->validate_for(h, "5"));
  t.write("proc/sys/vm/dirty_background_bytes", "67108864\n");
  EXPECT_NE(make_knob("sysctl:vm.dirty_background_ratio")->validate_for(h, "5").value_or("").find(
                "vm.dirty_background_bytes (67108864)"),
            std::string::npos);
  // The fixture hosts limit by ratio: both are settable there.
  Host vm(test::fixture_host("vm"));
  EXPECT_FALSE(make_knob("sysctl:vm.dirty_ratio")->validate_for(vm, "30"));
  EXPECT_FALSE(make_knob("sysctl:vm.dirty_background_ratio")->validate_for(vm, "5"));
}

TEST(NewSysctls, EveryNewKnobPlansOnEveryFixtureTree) {
  TempTree t;
  t.write("p.json", R"({"sysctl": {
      "net.ipv4.tcp_congestion_control": "cubic", "net.core.default_qdisc": "fq", "fs.file-max": 2097152,
      "fs.nr_open": 2097152, "vm.overcommit_memory": 1, "vm.dirty_ratio": 15, "vm.dirty_background_ratio": 5,
      "kernel.pid_max": 4194304, "net.ipv4.tcp_mtu_probing": 1, "net.ipv4.tcp_notsent_lowat": 131072,
      "net.core.optmem_max": 131072}})");
  const Profile p = load_profile(t.path() + "/p.json", {});
  for (const char* name : {"vm", "cloud-ena", "intel-i40e-cgv1", "metal-2s-mlx5-k8s"}) {
    Host h(test::fixture_host(name));
    const Plan plan = make_plan(h, plan_snapshot(h, plan_areas(p)), p);
    EXPECT_TRUE(plan.skipped.empty()) << name << ": " << (plan.skipped.empty() ? "" : plan.skipped[0].reason);
    EXPECT_EQ(plan.changes.size() + plan.already.size(), 11u) << name;
  }
}

TEST(NewSysctls, UnknownNamesSuggestTheClosest) {
  EXPECT_EQ(test::knob_refusal("sysctl:vm.swapiness")
                .rfind("bad knob address 'sysctl:vm.swapiness': sysctl 'vm.swapiness' is not managed by tunectl; "
                       "did you mean 'vm.swappiness'? (allowed: ", 0),
            0u);
  EXPECT_NE(test::knob_refusal("sysctl:fs.file_max").find("did you mean 'fs.file-max'?"), std::string::npos);
  EXPECT_NE(test::knob_refusal("sysctl:net.ipv4.tcp_congestion_contrl").find("did you mean 'net.ipv4.tcp_congestion_control'?"),
            std::string::npos);
  // The right name under the wrong prefix.
  EXPECT_NE(test::knob_refusal("sysctl:net.core.tcp_fin_timeout").find("did you mean 'net.ipv4.tcp_fin_timeout'?"),
            std::string::npos);
  EXPECT_NE(test::knob_refusal("sysctl:net.nf_conntrack_max").find("did you mean 'net.netfilter.nf_conntrack_max'?"),
            std::string::npos);
  // Nothing close: no guess.
  EXPECT_EQ(test::knob_refusal("sysctl:kernel.core_pattern").find("did you mean"), std::string::npos);
  EXPECT_EQ(test::knob_refusal("sysctl:vm.dirty_bytes").find("did you mean"), std::string::npos);
  // Kind prefixes too.
  EXPECT_NE(test::knob_refusal("sysctll:vm.swappiness").find("unknown knob 'sysctll:vm.swappiness'; did you mean 'sysctl:'? "
                                                  "(known kinds: sysctl:, "),
            std::string::npos);
  EXPECT_EQ(test::knob_refusal("file:/etc/passwd").find("did you mean"), std::string::npos);

  // A profile gets the hint with the pointer of the setting.
  TempTree t;
  t.write("p.json", R"({"sysctl": {"net.ipv4.tcp_keepalive_tme": 60}})");
  try {
    load_profile(t.path() + "/p.json", {});
    FAIL() << "accepted an unknown sysctl";
  } catch (const ProfileError& e) {
    EXPECT_NE(std::string(e.what()).find("/sysctl/net.ipv4.tcp_keepalive_tme: bad knob address "
                                         "'sysctl:net.ipv4.tcp_keepalive_tme': sysctl 'net.ipv4.tcp_keepalive_tme' is "
                                         "not managed by tunectl; did you mean 'net.ipv4.tcp_keepalive_time'?"),
              std::string::npos)
        << e.what();
  }
}

TEST(NewSysctls, ClosestName) {
  const std::vector<std::string> known = {"alpha.one", "alpha.two", "beta.one", "gamma.three"};
  EXPECT_EQ(closest_name("alpha.tow", known).value_or("<none>"), "alpha.two");  // a transposition is one edit
  EXPECT_EQ(closest_name("gamma.thre", known).value_or("<none>"), "gamma.three");
  // The same last component, in exactly one known name.
  EXPECT_EQ(closest_name("delta.three", known).value_or("<none>"), "gamma.three");
  EXPECT_FALSE(closest_name("delta.one", known));  // alpha.one or beta.one: ambiguous
  EXPECT_FALSE(closest_name("zzz", known));
  EXPECT_FALSE(closest_name("", known));
  EXPECT_FALSE(closest_name(std::string(300, 'a'), known));
}

}  // namespace
}  // namespace tunectl
