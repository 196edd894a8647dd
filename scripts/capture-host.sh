#!/usr/bin/env bash
# capture-host.sh — copy the /proc and /sys files tunectl's probes read into a fixture tree.
#
# Every file is copied byte for byte (read with cat: sysfs/proc report sizes of 0 or 4096),
# at the same path relative to DIR, with its mode. sysfs symlinks are kept as the same
# RELATIVE links, so they resolve inside DIR. Unreadable files (EACCES, and attributes the
# kernel refuses to show such as xps_cpus on single-queue devices, ENOENT) are skipped, as
# a probe of the live host would see them missing. Directories are created 0755; empty
# directories (e.g. the per-action dirs under /proc/irq/N) and every mode other than 0644
# are listed in DIR.modes, because git keeps neither (tests/fixtures/restore-modes.sh
# re-applies them).
#
# Nothing is written to the live host. Run as root to see root-only files (e.g. topology/ppin).
set -u -o pipefail

usage() {
    cat <<'EOF'
Usage: capture-host.sh [--src ROOT] [--force] DIR
       capture-host.sh --help

Snapshot the parts of /proc and /sys that tunectl's probes read into DIR, so a host can be
audited offline (tunectl probe --root DIR) or added as a test fixture.

  DIR          output directory (must not exist, or be empty; see --force)
  --src ROOT   read from ROOT instead of / (e.g. another capture; default /)
  --force      remove an existing DIR first
  -h, --help   this help

Writes DIR/ (proc/..., sys/... at their kernel paths) and DIR.modes (one "MODE PATH" line for
every file whose mode is not 0644, and every empty directory as "0755 PATH/"). Captured:
host identity (hostname, osrelease, version, cmdline, cpuinfo, meminfo, vmstat, stat), CPU and
NUMA topology, CPU power (cpufreq policies, intel_pstate/amd_pstate, cpuidle states per CPU,
energy_perf_bias), every IRQ (/proc/interrupts, /proc/irq/N, /sys/kernel/irq/N), every network
interface with its queues and its device chain up to the PCI function (numa_node, local_cpus,
msi_irqs, driver link), THP and khugepaged settings, TCP sysctls and counters, and every cgroup
in the hierarchies holding the cpu/cpuset controllers (plus cgroup2 mounts). /proc/self and
/proc/net are stored as real directories.
EOF
}

SRC=/
FORCE=0
DIR=
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --src) SRC=${2:?--src needs a directory}; shift 2 ;;
        --src=*) SRC=${1#--src=}; shift ;;
        --force) FORCE=1; shift ;;
        --) shift; DIR=${1:-}; shift || true ;;
        -*) echo "capture-host.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) if [ -n "$DIR" ]; then echo "capture-host.sh: only one DIR" >&2; exit 2; fi
           DIR=$1; shift ;;
    esac
done
if [ -z "$DIR" ]; then usage >&2; exit 2; fi
SRC=${SRC%/}           # "" for the live root
DIR=${DIR%/}
if [ -e "$DIR" ]; then
    if [ "$FORCE" = 1 ]; then
        chmod -R u+w "$DIR" 2>/dev/null; rm -rf -- "$DIR"
    elif [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
        echo "capture-host.sh: $DIR exists and is not empty (use --force)" >&2; exit 2
    fi
fi
umask 022
mkdir -p "$DIR" || exit 1
DIR=$(cd "$DIR" && pwd)
MODES_TMP=$(mktemp)
trap 'rm -f "$MODES_TMP"' EXIT

n_files=0; n_links=0; n_skipped=0

# copy_file PATH — PATH is absolute on the live host (/proc/...); copies SRC/PATH to DIR/PATH.
copy_file() {
    local p=$1 s="$SRC$1" d="$DIR$1" mode
    [ -f "$s" ] || return 1
    [ -e "$d" ] && return 0
    mkdir -p "${d%/*}"
    if cat -- "$s" > "$d" 2>/dev/null; then
        mode=$(stat -c %a -- "$s" 2>/dev/null) || mode=644
        mode=$(printf '%04o' "0$mode")
        if [ "$mode" != 0644 ]; then
            chmod "$mode" "$d"
            printf '%s %s\n' "$mode" "${p#/}" >> "$MODES_TMP"
        fi
        n_files=$((n_files + 1))
        return 0
    fi
    rm -f -- "$d"
    n_skipped=$((n_skipped + 1))
    return 1
}

# copy_files DIRPATH NAME... — copy the named files of one directory (missing ones skipped).
copy_files() {
    local base=$1 f; shift
    for f in "$@"; do copy_file "$base/$f" || true; done
}

# copy_link PATH — recreate a symlink with the same (relative) target.
copy_link() {
    local p=$1 s="$SRC$1" d="$DIR$1" t
    [ -L "$s" ] || return 1
    [ -e "$d" ] || [ -L "$d" ] && return 0
    t=$(readlink -- "$s") || return 1
    case "$t" in
        /*) # an absolute link: make it relative so it stays inside DIR
            t=$(realpath -m --relative-to="$(dirname -- "$p")" -- "$t") ;;
    esac
    mkdir -p "${d%/*}"
    ln -s -- "$t" "$d" && n_links=$((n_links + 1))
}

# empty_dir PATH — record a directory that has no captured content (git drops empty dirs).
empty_dir() {
    mkdir -p "$DIR$1"
    printf '0755 %s/\n' "${1#/}" >> "$MODES_TMP"
}

# copy_regular_files DIRPATH [SKIP-REGEX] — every regular, readable file directly in DIRPATH.
copy_regular_files() {
    local base=$1 skip=${2:-} f name
    for f in "$SRC$base"/*; do
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        name=${f##*/}
        if [ -n "$skip" ] && [[ $name =~ $skip ]]; then continue; fi
        copy_file "$base/$name" || true
    done
}

# copy_tree DIRPATH — every regular file and symlink below DIRPATH, recursively (no following).
copy_tree() {
    local base=$1 e rel
    [ -d "$SRC$base" ] || return 0
    while IFS= read -r -d '' e; do
        rel=${e#"$SRC"}
        if [ -L "$e" ]; then copy_link "$rel"
        elif [ -f "$e" ]; then copy_file "$rel" || true
        elif [ -d "$e" ] && [ -z "$(ls -A "$e" 2>/dev/null)" ]; then empty_dir "$rel"
        fi
    done < <(find "$SRC$base" -mindepth 1 \( -type f -o -type l -o -type d \) -print0 2>/dev/null | LC_ALL=C sort -z)
}

# resolve a path inside SRC to an absolute host path (following links), e.g. /sys/devices/...
host_realpath() {
    local r
    r=$(realpath -e -- "$SRC$1" 2>/dev/null) || return 1
    printf '%s\n' "${r#"$SRC"}"
}

################################################################ host
copy_files /proc/sys/kernel hostname osrelease ostype
copy_files /proc version cmdline cpuinfo meminfo vmstat stat softirqs uptime loadavg

################################################################ topology
copy_files /sys/devices/system/cpu online possible present isolated nohz_full offline kernel_max
for c in "$SRC"/sys/devices/system/cpu/cpu[0-9]*; do
    [ -d "$c" ] || continue
    cpu=/sys/devices/system/cpu/${c##*/}
    copy_file "$cpu/online" || true
    copy_regular_files "$cpu/topology"
    for l in "$c"/node[0-9]*; do [ -L "$l" ] && copy_link "$cpu/${l##*/}"; done
done
copy_files /sys/devices/system/node online possible has_cpu has_memory has_normal_memory
for n in "$SRC"/sys/devices/system/node/node[0-9]*; do
    [ -d "$n" ] || continue
    copy_files "/sys/devices/system/node/${n##*/}" cpulist cpumap meminfo distance numastat
done

################################################################ CPU power
# cpufreq policies (each cpuN/cpufreq is a link to one), intel_pstate / amd_pstate, cpuidle:
# the driver, and per CPU every idle state and the energy/performance bias.
for p in "$SRC"/sys/devices/system/cpu/cpufreq/policy[0-9]*; do
    [ -d "$p" ] || continue
    copy_regular_files "/sys/devices/system/cpu/cpufreq/${p##*/}"
done
copy_file /sys/devices/system/cpu/cpufreq/boost || true
for d in intel_pstate amd_pstate cpuidle; do
    [ -d "$SRC/sys/devices/system/cpu/$d" ] && copy_regular_files "/sys/devices/system/cpu/$d"
done
for c in "$SRC"/sys/devices/system/cpu/cpu[0-9]*; do
    [ -d "$c" ] || continue
    cpu=/sys/devices/system/cpu/${c##*/}
    [ -L "$c/cpufreq" ] && copy_link "$cpu/cpufreq"
    copy_file "$cpu/power/energy_perf_bias" || true
    for st in "$c"/cpuidle/state[0-9]*; do
        [ -d "$st" ] && copy_regular_files "$cpu/cpuidle/${st##*/}"
    done
done

################################################################ IRQs
copy_file /proc/interrupts || true
copy_file /proc/irq/default_smp_affinity || true
for i in "$SRC"/proc/irq/[0-9]*; do
    [ -d "$i" ] || continue
    irq=/proc/irq/${i##*/}
    copy_files "$irq" smp_affinity smp_affinity_list effective_affinity effective_affinity_list \
        affinity_hint node spurious
    for a in "$i"/*; do   # one directory per action (handler name); empty in proc
        [ -d "$a" ] && [ ! -L "$a" ] && empty_dir "$irq/${a##*/}"
    done
done
for i in "$SRC"/sys/kernel/irq/[0-9]*; do
    [ -d "$i" ] || continue
    copy_regular_files "/sys/kernel/irq/${i##*/}"
done

################################################################ NICs
# device-level attributes worth keeping (config, resource*, rom, ... are binary or huge)
DEV_ATTRS=(numa_node local_cpulist local_cpus vendor device subsystem_vendor subsystem_device
    class revision irq enable msi_bus modalias uevent features status
    current_link_speed current_link_width max_link_speed max_link_width
    sriov_numvfs sriov_totalvfs)
declare -A DRIVER_DIRS=()
copy_device_dir() {   # $1 = /sys/devices/... of a device (virtio, PCI function, ...)
    local dev=$1 t
    copy_files "$dev" "${DEV_ATTRS[@]}"
    [ -L "$SRC$dev/driver" ] && copy_link "$dev/driver" && {
        t=$(host_realpath "$dev/driver") && DRIVER_DIRS[$t]=1; }
    [ -L "$SRC$dev/subsystem" ] && copy_link "$dev/subsystem"
    if [ -d "$SRC$dev/msi_irqs" ]; then copy_regular_files "$dev/msi_irqs"; fi
}
nics=()
for l in "$SRC"/sys/class/net/*; do
    [ -L "$l" ] || continue
    name=${l##*/}; nics+=("$name")
    copy_link "/sys/class/net/$name"
    nd=$(host_realpath "/sys/class/net/$name") || continue
    copy_regular_files "$nd"
    for sub in device subsystem phydev; do [ -L "$SRC$nd/$sub" ] && copy_link "$nd/$sub"; done
    for q in "$SRC$nd"/queues/*; do
        [ -d "$q" ] || continue
        qp=$nd/queues/${q##*/}
        copy_files "$qp" rps_cpus rps_flow_cnt xps_cpus xps_rxqs tx_maxrate tx_timeout traffic_class
        [ -d "$q/byte_queue_limits" ] && copy_regular_files "$qp/byte_queue_limits"
    done
    # walk from the netdev's device up to the root bus: virtio -> PCI function -> bridges
    dev=$(host_realpath "$nd/device") || continue
    while [ -n "$dev" ] && [ "$dev" != /sys/devices ] && [ "$dev" != / ]; do
        copy_device_dir "$dev"
        dev=${dev%/*}
        case "${dev##*/}" in pci[0-9a-f]*:*) break ;; esac   # pci0000:00 host bridge
    done
done
for drv in "${!DRIVER_DIRS[@]}"; do   # back-links from the driver to its bound devices
    mkdir -p "$DIR$drv"
    for l in "$SRC$drv"/*; do
        [ -L "$l" ] || continue
        case "${l##*/}" in module) continue ;; esac
        t=$(readlink -- "$l")
        [ -e "$(dirname -- "$DIR$drv/x")/$t" ] && copy_link "$drv/${l##*/}"
    done
    [ -n "$(ls -A "$DIR$drv")" ] || empty_dir "$drv"
done

################################################################ THP
copy_tree /sys/kernel/mm/transparent_hugepage

################################################################ TCP
copy_files /proc/sys/net/ipv4 tcp_keepalive_time tcp_keepalive_intvl tcp_keepalive_probes \
    tcp_fin_timeout tcp_tw_reuse tcp_max_tw_buckets tcp_orphan_retries tcp_max_orphans \
    tcp_max_syn_backlog tcp_syn_retries tcp_synack_retries tcp_rmem tcp_wmem tcp_mem \
    ip_local_port_range tcp_congestion_control tcp_slow_start_after_idle tcp_timestamps \
    tcp_sack tcp_window_scaling tcp_fastopen tcp_retries2 tcp_linger2 2>/dev/null
copy_files /proc/sys/net/core somaxconn busy_poll busy_read rps_sock_flow_entries \
    netdev_max_backlog netdev_budget netdev_budget_usecs rmem_max wmem_max rmem_default wmem_default
# /proc/net is a link to self/net: store it as a real directory
copy_files /proc/net sockstat sockstat6 netstat snmp snmp6

################################################################ cgroups
# /proc/self is a link to the reading process; the capture holds a real proc/self directory
copy_file /proc/self/mountinfo || true
copy_files /proc cgroups filesystems
CG_FILES=(cgroup.controllers cgroup.subtree_control cgroup.type
    cpu.max cpu.max.burst cpu.weight cpu.weight.nice cpu.idle cpu.stat
    cpuset.cpus cpuset.cpus.effective cpuset.cpus.partition cpuset.cpus.exclusive
    cpuset.mems cpuset.mems.effective
    cpu.cfs_quota_us cpu.cfs_period_us cpu.cfs_burst_us cpu.shares cpu.rt_runtime_us
    cpuset.effective_cpus cpuset.effective_mems cpuset.cpu_exclusive cpuset.sched_load_balance
    cpuacct.usage)
unescape_mnt() { printf '%b' "${1//\\/\\0}"; }   # mountinfo octal escapes (\040) -> bytes
n_groups=0
if [ -r "$SRC/proc/self/mountinfo" ]; then
    while IFS= read -r line; do
        pre=${line%% - *}; post=${line#* - }
        read -r _ _ _ _ mnt _ <<<"$pre"
        read -r fstype _ opts <<<"$post"
        mnt=$(unescape_mnt "$mnt")
        case "$fstype" in
            cgroup2) ;;
            cgroup) case ",$opts," in *,cpu,*|*,cpuset,*|*,cpuacct,*) ;;
                        *) [ -d "$SRC$mnt" ] && empty_dir "$mnt"; continue ;;   # mounted, not copied
                    esac ;;
            tmpfs) # the v1 parent at /sys/fs/cgroup: keep its symlinks (cpu -> cpu,cpuacct)
                   if [ "$mnt" = /sys/fs/cgroup ]; then
                       for l in "$SRC$mnt"/*; do [ -L "$l" ] && copy_link "$mnt/${l##*/}"; done
                   fi; continue ;;
            *) continue ;;
        esac
        [ -d "$SRC$mnt" ] || continue
        while IFS= read -r -d '' g; do
            gp=${g#"$SRC"}
            copy_files "$gp" "${CG_FILES[@]}"
            [ -n "$(ls -A "$DIR$gp" 2>/dev/null)" ] || empty_dir "$gp"
            n_groups=$((n_groups + 1))
        done < <(find "$SRC$mnt" -type d -print0 2>/dev/null | LC_ALL=C sort -z)
    done < "$SRC/proc/self/mountinfo"
fi

################################################################ modes + summary
LC_ALL=C sort -u -k2 "$MODES_TMP" > "$DIR.modes"
n_irqs=$(find "$DIR/proc/irq" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
n_cpus=$(find "$DIR/sys/devices/system/cpu" -mindepth 1 -maxdepth 1 -type d -name 'cpu[0-9]*' 2>/dev/null | wc -l)
n_nodes=$(find "$DIR/sys/devices/system/node" -mindepth 1 -maxdepth 1 -type d -name 'node[0-9]*' 2>/dev/null | wc -l)
size=$(du -sh "$DIR" 2>/dev/null | cut -f1)
printf 'captured %s -> %s\n' "${SRC:-/}" "$DIR"
printf '  cpus %s, nodes %s, irqs %s, nics %s (%s), cgroups %s\n' "$n_cpus" "$n_nodes" "$n_irqs" \
    "${#nics[@]}" "${nics[*]:-none}" "$n_groups"
printf '  %s files, %s symlinks, %s unreadable skipped, %s; modes in %s (%s lines)\n' \
    "$n_files" "$n_links" "$n_skipped" "${size:-?}" "$DIR.modes" "$(wc -l < "$DIR.modes")"
