#!/bin/sh
# Runs inside a tools/vmtest --flr-device guest: device opens, resets and power
# transitions (issue 23), driven by the workload's own VFIO ioctls, traced by
# one snoop -j, one stat -j and one --textfile for the whole run; prints the
# ground truth (the workload's JSON, sysfs power_state and reset_method around
# each run) as "@@ TAG payload" lines for tests/vm/check_resets.py.
# usage: resets.sh
# Scenarios: flr (the NVMe with FLR: open, VFIO_DEVICE_RESET x3, close), pm
# (the e1000e: x2, PM reset), bus (the bridge group: VFIO_DEVICE_RESET refused,
# then a hot reset passing its own group), incomplete (a hot reset passing the
# e1000e's group only: refused, the bridge group named with its holder); then
# diag_resets.sh (diagnose -j's reset methods against sysfs and config space).

set -u
out=/tmp/vt
mkdir -p $out

. "${0%/*}/lib.sh"

echo "@@ kernel $(uname -r)"
vfio-setup bind 1b36:0010 >/dev/null || echo "@@ error cannot bind the NVMe (vmtest --flr-device?)"
grp() { basename "$(readlink /sys/bus/pci/devices/$1/iommu_group)"; }
nvme=0000:00:10.0 e1000e=0000:00:03.0 e1000=0000:03:01.0
gn=$(grp $nvme) ge=$(grp $e1000e) gb=$(grp $e1000)
echo "@@ groups $gn $ge $gb"
for d in /sys/bus/pci/devices/*; do
	echo "@@ sysfs ${d##*/} $(grp ${d##*/}) $(basename "$(readlink $d/driver 2>/dev/null)" 2>/dev/null || echo -)" \
		"$(cat $d/reset_method 2>/dev/null | tr ' ' ,)"
done

# power NAME: the D-state of the NVMe and the e1000e now (6.1+; "-" where the kernel has no such file)
power() {
	echo "@@ power $1 $(cat /sys/bus/pci/devices/$nvme/power_state 2>/dev/null || echo -)" \
		"$(cat /sys/bus/pci/devices/$e1000e/power_state 2>/dev/null || echo -)"
}

# settle: vfio-pci puts an idle device back to D3hot by runtime PM, asynchronously
# after the last close (6.1+): wait (at most 10 s) until both are there again
settle() {
	i=0
	while [ -e /sys/bus/pci/devices/$nvme/power_state ] && [ $i -lt 100 ] &&
	      ! { grep -q D3hot /sys/bus/pci/devices/$nvme/power_state &&
		  grep -q D3hot /sys/bus/pci/devices/$e1000e/power_state; }; do
		i=$((i + 1)); sleep 0.1
	done
}

vfiotrace snoop -j >$out/snoop.out 2>$out/snoop.err &
sp=$!
# stat keeps the PCI hooks' calls in progress in maps only (VFIOTRACE_NO_CALL_SLOTS), snoop in
# .bss slots where it can: check_resets.py holds stat's counts to snoop's events
VFIOTRACE_NO_CALL_SLOTS=1 vfiotrace stat -j --textfile $out/vfiotrace.prom >$out/stat.out 2>$out/stat.err &
tp=$!
wait_tracing $out/snoop.err $sp && wait_tracing $out/stat.err $tp || echo "@@ error a tracer did not start"
# stat's first --textfile write reads every map with bpf() calls. On this one-vCPU guest a call
# preempted by the workload leaves the CPU's BPF recursion guard held, and the kernel skips the
# kprobe programs the workload hits meanwhile (both tracers': counted in probes_missed). Seen on
# latest: the NVMe's power-up at its open missing, probes_missed 1. The workloads start after it.
i=0
while [ ! -s $out/vfiotrace.prom ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done

settle
power before
workload flr "vfio-workload -g $gn --reset 3"
settle
power after_flr
workload pm "vfio-workload -g $ge --reset 2"
settle
power after_pm
# -s 1: the group fds stay open a second after the hot reset, for vfiotrace to read which were passed
workload bus "vfio-workload -g $gb --reset 1 --hot-reset $gb -s 1"
workload incomplete "vfio-workload -g $gb --hot-reset $ge -s 1"
settle
power end

stop $tp INT stat_exit
stop $sp INT snoop_exit
tag snoop <$out/snoop.out
grep -v '^Tracing' $out/snoop.err | tag snoop_stderr
tag stat <$out/stat.out
grep -v '^Tracing' $out/stat.err | tag stat_stderr
tag_file prom $out/vfiotrace.prom
# diagnose's reset methods and power states against sysfs and config space; --trial
# resets each device through sysfs (after the tracers: it is not counted above)
. "${0%/*}/diag_resets.sh"
diag_resets --trial

# shared hooks: resets of devices that are not VFIO's are filtered out (the e1000e with its own
# driver, then with none), and one of the idle NVMe (VFIO's) is counted. Where the hooks ride
# kprobe.multi links, the PCI links' dispatchers end the others' hits first (-v counts them at
# exit). Twice: reading struct pci_dev through bpf_rdonly_cast where the kernel has it (6.2+),
# then by helper calls (VFIOTRACE_NO_RDONLY_CAST); where the links are kprobe.session links
# (6.10+), a third time on the kprobe.multi links they replace (VFIOTRACE_NO_KPROBE_SESSION).
grep -q ' register_fprobe_ips$' /proc/kallsyms && echo "@@ fprobe 1" || echo "@@ fprobe 0"
grep -q ' bpf_session_is_return$' /proc/kallsyms && echo "@@ session 1" || echo "@@ session 0"
# driver_of DEV: the name of the driver DEV is bound to, "" when none
driver_of() { basename "$(readlink /sys/bus/pci/devices/$1/driver 2>/dev/null)" 2>/dev/null; }
# bind_e1000e: the e1000e to its own driver (or "@@ error")
bind_e1000e() {
	modprobe e1000e 2>/dev/null || insmod "$(find /lib/modules/$(uname -r) -name e1000e.ko | head -1)"
	echo e1000e >/sys/bus/pci/devices/$e1000e/driver_override
	[ -e /sys/bus/pci/devices/$e1000e/driver ] && echo $e1000e >/sys/bus/pci/devices/$e1000e/driver/unbind
	echo $e1000e >/sys/bus/pci/drivers_probe
	i=0
	while [ "$(driver_of $e1000e)" != e1000e ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
	[ "$(driver_of $e1000e)" = e1000e ] || echo "@@ error the e1000e did not bind to e1000e: $(driver_of $e1000e)"
}
# resets TAG DEV N: N sysfs resets of DEV, "@@ TAG_resets DEV DRIVER(- for none) DONE"
resets() {
	drv=$(driver_of $2)
	n=0
	while [ $n -lt $3 ]; do echo 1 >/sys/bus/pci/devices/$2/reset && n=$((n + 1)) || break; done
	echo "@@ $1_resets $2 ${drv:--} $n"
}
# shared TAG ENV...: one stat -j -v over resets of the e1000e (with its driver if it has one
# now, then without) and one of the NVMe
shared() {
	tg=$1
	shift
	env "$@" vfiotrace stat -j -v --mode auto >$out/$tg.out 2>$out/$tg.err &
	vp=$!
	if wait_tracing $out/$tg.err $vp; then
		[ -n "$(driver_of $e1000e)" ] && resets $tg $e1000e 2
		[ -e /sys/bus/pci/devices/$e1000e/driver ] && echo $e1000e >/sys/bus/pci/devices/$e1000e/driver/unbind
		resets $tg $e1000e 2
		resets $tg $nvme 1
	fi
	stop $vp INT ${tg}_exit
	tag $tg <$out/$tg.out
	grep -E '^Tracing|kprobe.multi|kprobe.session|rdonly_cast|calls in progress' $out/$tg.err | tag ${tg}_stderr
}
bind_e1000e
shared shared
shared shared_helper VFIOTRACE_NO_RDONLY_CAST=1
grep -q ' bpf_session_is_return$' /proc/kallsyms && shared shared_multi VFIOTRACE_NO_KPROBE_SESSION=1
echo "@@ done"
