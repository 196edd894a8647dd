// The boot: knob kind (kernel parameters) on copies of the fixture trees: the command-line editor
// gives back exact bytes, the allowlist and its validation (shell-safe words, cpulists against
// the topology, housekeeping CPUs remain), boot loader detection per tree, write and restore of
// the GRUB drop-in and of /etc/kernel/cmdline byte for byte, pending reboot against /proc/cmdline,
// and the section's collector (symbolic CPU sets, rules across parameters).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/errors.h"
#include "core/host.h"
#include "tests/unit/test_helpers.h"
#include "tuner/knobs/boot_config.h"
#include "tuner/knobs/knob.h"
#include "tuner/plan/planner.h"

namespace tunectl {
namespace {
using test::TempTree;
using test::tree_state;

const char* const kDropIn = "/etc/default/grub.d/tunectl.cfg";

std::string invalid(const std::string& address, const std::string& value) {
  return make_knob(address)->validate(value).value_or("<valid>");
}

std::string raw(const Knob& k, const Host& h) {
  const ReadResult r = k.read_raw(h);
  EXPECT_TRUE(r.ok) << r.error;
  return r.data;
}

TEST(BootCmdline, SetThenRemoveGivesBackTheExactBytes) {
  const std::string line = "root=UUID=1 ro  quiet\n";
  const std::string added = set_cmdline_param(line, "isolcpus", "2-3");
  EXPECT_EQ(added, "root=UUID=1 ro  quiet isolcpus=2-3\n");
  EXPECT_EQ(set_cmdline_param(added, "isolcpus", std::nullopt), line);
  // In place when present, so that restoring the old value restores the old bytes.
  const std::string first = "isolcpus=3 quiet\n";
  EXPECT_EQ(set_cmdline_param(first, "isolcpus", "1"), "isolcpus=1 quiet\n");
  EXPECT_EQ(set_cmdline_param(set_cmdline_param(first, "isolcpus", "1"), "isolcpus", "3"), first);
  EXPECT_EQ(set_cmdline_param(first, "isolcpus", std::nullopt), "quiet\n");
  EXPECT_EQ(set_cmdline_param("", "nohz_full", "1"), "nohz_full=1");
  EXPECT_EQ(set_cmdline_param("nohz_full=1", "nohz_full", std::nullopt), "");
}

TEST(BootCmdline, ReadsTheLastOccurrenceQuotesAndStopsAtInitArguments) {
  EXPECT_EQ(cmdline_param("a isolcpus=1 isolcpus=2-3 b", "isolcpus"), "2-3");
  EXPECT_EQ(cmdline_param("x=\"a b\" nosmt", "x"), "a b");
  EXPECT_EQ(cmdline_param("x=\"a b\" nosmt", "nosmt"), "");
  EXPECT_FALSE(cmdline_param("quiet -- isolcpus=1", "isolcpus").has_value());
  EXPECT_FALSE(cmdline_param("isolcpus_x=1", "isolcpus").has_value());
}

TEST(BootKnob, AllowlistWithSuggestions) {
  for (const char* a : {"boot:isolcpus", "boot:nohz_full", "boot:rcu_nocbs", "boot:irqaffinity",
                        "boot:transparent_hugepage", "boot:intel_idle.max_cstate", "boot:processor.max_cstate",
                        "boot:skew_tick", "boot:nmi_watchdog"})
    EXPECT_EQ(test::knob_refusal(a), "<accepted>") << a;
  const std::string e = test::knob_refusal("boot:isolcpu");
  EXPECT_NE(e.find("not a kernel parameter tunectl sets"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'isolcpus'"), std::string::npos) << e;
  EXPECT_NE(test::knob_refusal("boot:init").find("allowed: "), std::string::npos);
  EXPECT_EQ(knob_kind_of("boot:isolcpus").phase, ApplyPhase::kBoot);
  EXPECT_TRUE(make_knob("boot:isolcpus")->takes_effect_at_boot());
  EXPECT_FALSE(make_knob("thp:enabled")->takes_effect_at_boot());
}

TEST(BootKnob, ValuesAreValidatedAndShellSafe) {
  EXPECT_EQ(invalid("boot:isolcpus", "managed_irq,domain,2-3"), "<valid>");
  EXPECT_EQ(invalid("boot:isolcpus", "2-3"), "<valid>");
  EXPECT_EQ(invalid("boot:isolcpus", "nohz,application"), "<valid>");
  EXPECT_EQ(invalid("boot:irqaffinity", "housekeeping"), "<valid>");
  EXPECT_NE(invalid("boot:isolcpus", "bogus,2-3").find("isolcpus flag"), std::string::npos);
  EXPECT_NE(invalid("boot:nohz_full", "3-1").find("cpulist"), std::string::npos);
  EXPECT_EQ(invalid("boot:transparent_hugepage", "never"), "<valid>");
  EXPECT_NE(invalid("boot:transparent_hugepage", "sometimes").find("always, madvise, never"), std::string::npos);
  EXPECT_EQ(invalid("boot:intel_idle.max_cstate", "1"), "<valid>");
  EXPECT_NE(invalid("boot:intel_idle.max_cstate", "10"), "<valid>");
  EXPECT_NE(invalid("boot:skew_tick", "2"), "<valid>");
  // Values end up in a file a shell sources (the GRUB drop-in): nothing but plain words.
  for (const char* v : {"1;reboot", "$(reboot)", "1 init=/bin/sh", "\"1\"", "`x`", "1\n2", ""})
    EXPECT_NE(invalid("boot:nohz_full", v).find("single word"), std::string::npos) << v;
}

TEST(BootConfigDetection, EachFixtureTreeHasItsLayout) {
  EXPECT_EQ(detect_boot_config(Host(test::fixture_host("metal-2s-mlx5-k8s"))).loader, BootLoader::kGrub);
  EXPECT_EQ(detect_boot_config(Host(test::fixture_host("intel-i40e-cgv1"))).loader, BootLoader::kGrub);
  const BootConfig ena = detect_boot_config(Host(test::fixture_host("cloud-ena")));
  EXPECT_EQ(ena.loader, BootLoader::kKernelInstall);
  EXPECT_EQ(ena.file, "/etc/kernel/cmdline");
  const BootConfig vm = detect_boot_config(Host(test::fixture_host("vm")));
  EXPECT_EQ(vm.loader, BootLoader::kNone);
  const auto knob = make_knob("boot:isolcpus");
  EXPECT_NE(knob->not_settable(Host(test::fixture_host("vm"))).value_or("").find("neither /etc/default/grub"),
            std::string::npos);
  // RHEL's grub2-mkconfig reads no drop-in directory: tunectl does not pretend it does.
  EXPECT_NE(knob->not_settable(Host(test::fixture_host("intel-i40e-cgv1"))).value_or("").find("/etc/default/grub.d"),
            std::string::npos);
  EXPECT_FALSE(knob->not_settable(Host(test::fixture_host("metal-2s-mlx5-k8s"))).has_value());
  EXPECT_FALSE(knob->not_settable(Host(test::fixture_host("cloud-ena"))).has_value());
}

TEST(BootKnob, GrubDropInIsWrittenAndRestoredByteForByte) {
  TempTree t;
  const std::string root = t.copy_fixture("metal-2s-mlx5-k8s");
  const auto pristine = tree_state(root);
  const Host host(root);
  const auto iso = make_knob("boot:isolcpus"), nohz = make_knob("boot:nohz_full");
  ASSERT_EQ(raw(*iso, host), "");  // no drop-in yet
  const std::string iso_before = raw(*iso, host), nohz_before = raw(*nohz, host);
  ASSERT_TRUE(iso->write(host, "managed_irq,domain,2-15").ok());
  ASSERT_TRUE(nohz->write(host, "2-15").ok());
  EXPECT_EQ(t.read("metal-2s-mlx5-k8s" + std::string(kDropIn)),
            "# Written by tunectl (boot: knobs): kernel parameters for the next boot. Do not edit: tunectl\n"
            "# journals this file and restores it byte for byte (`tunectl status`, `tunectl rollback`).\n"
            "GRUB_CMDLINE_LINUX_DEFAULT=\"${GRUB_CMDLINE_LINUX_DEFAULT} isolcpus=managed_irq,domain,2-15 "
            "nohz_full=2-15\"\n");
  EXPECT_EQ(raw(*iso, host), "managed_irq,domain,2-15");
  EXPECT_TRUE(iso->matches(raw(*iso, host), "domain,managed_irq,2-7,8-15"));  // flags are a set, lists canonical
  ASSERT_TRUE(nohz->restore(host, nohz_before).ok());
  ASSERT_TRUE(iso->restore(host, iso_before).ok());
  EXPECT_EQ(tree_state(root), pristine);  // the drop-in is gone again, nothing else touched
}

TEST(BootKnob, KernelCmdlineIsEditedInPlaceAndRestoredByteForByte) {
  TempTree t;
  const std::string root = t.copy_fixture("cloud-ena");
  const auto pristine = tree_state(root);
  const std::string before = t.read("cloud-ena/etc/kernel/cmdline");
  const Host host(root);
  const auto thp = make_knob("boot:transparent_hugepage");
  ASSERT_TRUE(thp->write(host, "never").ok());
  const std::string after = t.read("cloud-ena/etc/kernel/cmdline");
  EXPECT_EQ(after, before.substr(0, before.size() - 1) + " transparent_hugepage=never\n");
  EXPECT_EQ(raw(*thp, host), "never");
  ASSERT_TRUE(thp->restore(host, "").ok());
  EXPECT_EQ(tree_state(root), pristine);
}

TEST(BootKnob, CpuListsMustExistAndLeaveHousekeepingCpus) {
  const Host host(test::fixture_host("metal-2s-mlx5-k8s"));  // 64 CPUs, all online
  const auto nohz = make_knob("boot:nohz_full");
  EXPECT_FALSE(nohz->validate_for(host, "1-63").has_value());
  EXPECT_NE(nohz->validate_for(host, "0-63").value_or("").find("leaves no housekeeping CPU"), std::string::npos);
  EXPECT_NE(nohz->validate_for(host, "60-64").value_or("").find("CPU 64 does not exist"), std::string::npos);
  EXPECT_NE(nohz->validate_for(host, "application").value_or("").find("resolved by the profile's boot section"),
            std::string::npos);
  EXPECT_FALSE(make_knob("boot:irqaffinity")->validate_for(host, "0").has_value());
}

TEST(BootKnob, PendingRebootComparesWithTheRunningKernel) {
  // The metal tree booted with isolcpus=managed_irq,domain,8-15,40-47 (its /proc/cmdline).
  const Host host(test::fixture_host("metal-2s-mlx5-k8s"));
  const auto iso = make_knob("boot:isolcpus");
  EXPECT_FALSE(iso->awaiting_reboot(host, "domain,managed_irq,8-15,40-47").has_value());
  EXPECT_NE(iso->awaiting_reboot(host, "managed_irq,domain,2-15").value_or("").find(
                "running kernel has isolcpus=managed_irq,domain,8-15,40-47"),
            std::string::npos);
  EXPECT_NE(make_knob("boot:skew_tick")->awaiting_reboot(host, "1").value_or("").find("running kernel has no skew_tick"),
            std::string::npos);
}

TEST(BootKnob, AHandEditedDropInIsRefusedNotOverwritten) {
  TempTree t;
  const std::string root = t.copy_fixture("metal-2s-mlx5-k8s");
  t.write("metal-2s-mlx5-k8s" + std::string(kDropIn), "GRUB_CMDLINE_LINUX_DEFAULT=\"$(reboot)\"\n");
  const Host host(root);
  const auto iso = make_knob("boot:isolcpus");
  EXPECT_FALSE(iso->read_raw(host).ok);
  EXPECT_NE(iso->not_settable(host).value_or("").find("not in tunectl's format"), std::string::npos);
  EXPECT_FALSE(iso->write(host, "2-3").ok());
  EXPECT_EQ(t.read("metal-2s-mlx5-k8s" + std::string(kDropIn)), "GRUB_CMDLINE_LINUX_DEFAULT=\"$(reboot)\"\n");
}

Plan plan_on(const std::string& root, const std::string& text) {
  Host host(root);
  const Profile p = load_profile_from_text(text, "boot.json", {});
  return make_plan(host, plan_snapshot(host, plan_areas(p)), p);
}

std::string value_of(const Plan& p, const std::string& knob) {
  for (const auto* list : {&p.changes, &p.already})
    for (const auto& c : *list)
      if (c.knob == knob) return c.value;
  return "<absent>";
}

TEST(BootSection, SymbolicCpuSetsResolvePerHost) {
  // metal: node 0 = 0-15,32-47, node 1 = 16-31,48-63; first cores 0+32 and 16+48 keep the kernel's work.
  const Plan p = plan_on(test::fixture_host("metal-2s-mlx5-k8s"),
                         R"({"boot": {"isolcpus": "managed_irq,domain,application", "nohz_full": "application",
                                      "irqaffinity": "housekeeping", "transparent_hugepage": "never"}})");
  EXPECT_EQ(value_of(p, "boot:isolcpus"), "managed_irq,domain,1-15,17-31,33-47,49-63");
  EXPECT_EQ(value_of(p, "boot:nohz_full"), "1-15,17-31,33-47,49-63");
  EXPECT_EQ(value_of(p, "boot:irqaffinity"), "0,16,32,48");
  EXPECT_EQ(value_of(p, "boot:transparent_hugepage"), "never");
  ASSERT_EQ(p.changes.size(), 4u);
  EXPECT_EQ(p.changes.front().current, "");
  // The vm tree has no boot loader configuration: skipped with the reason, nothing planned.
  const Plan vm = plan_on(test::fixture_host("vm"), R"({"boot": {"transparent_hugepage": "never"}})");
  EXPECT_TRUE(vm.changes.empty());
  ASSERT_EQ(vm.skipped.size(), 1u);
  EXPECT_NE(vm.skipped[0].reason.find("no boot loader configuration"), std::string::npos);
}

TEST(BootSection, RulesAcrossParametersAreProfileErrors) {
  const std::string root = test::fixture_host("metal-2s-mlx5-k8s");
  try {
    plan_on(root, R"({"boot": {"isolcpus": "0-31", "nohz_full": "32-63"}})");
    ADD_FAILURE() << "isolating every CPU was accepted";
  } catch (const ProfileError& e) {
    EXPECT_NE(std::string(e.what()).find("housekeeping CPUs must remain"), std::string::npos) << e.what();
  }
  try {
    plan_on(root, R"({"boot": {"nohz_full": "8-15", "irqaffinity": "0-9"}})");
    ADD_FAILURE() << "irqaffinity on isolated CPUs was accepted";
  } catch (const ProfileError& e) {
    EXPECT_NE(std::string(e.what()).find("/boot/irqaffinity"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("includes CPUs that nohz_full isolate"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tunectl
