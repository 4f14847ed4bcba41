#!/bin/sh
# Runs inside a `tools/vmtest --bare` guest (VFIO modules present, not loaded):
# vfiotrace on a production host. Starts before VFIO, follows a reload of
# vfio_iommu_type1, ends on each signal leaving no kprobe or ftrace entry, keeps
# only its documented capabilities. Prints ground truth and what vfiotrace
# reported as "@@ TAG payload" lines for tests/vm/check_lifecycle.py. Every
# wait is bounded.
set -u
out=/tmp/lc
mkdir -p $out
MODDIR=/lib/modules/$(uname -r)
type1=$(grep 'vfio_iommu_type1' $MODDIR/vmtest/vfio.order)

. "${0%/*}/lib.sh"

# wait_for FILE PATTERN N: until N lines of FILE match PATTERN (at most 60 s)
wait_for() {
	i=0
	# grep -c prints nothing while the file does not exist yet
	while n=$(grep -c "$2" "$1" 2>/dev/null); [ "${n:-0}" -lt "$3" ]; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then echo "@@ error waited 60 s for $3 x '$2' in $1: $(tail -3 "$1" | tr '\n' ' ')"; return 1; fi
		sleep 0.1
	done
}

caps() { grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/$1/status | tr -d ':\t' | sed 's/^Cap\([A-Za-z]*\)/\1 /'; }

echo "@@ kernel $(uname -r)"
[ -e /sys/kernel/debug/kprobes/list ] && echo "@@ debugfs yes" || echo "@@ debugfs no"
[ -e /sys/kernel/tracing/enabled_functions ] && echo "@@ tracefs yes" || echo "@@ tracefs no"
echo "@@ paranoid $(cat /proc/sys/kernel/perf_event_paranoid)"
echo "@@ loaded_at_start $(grep -cE '^vfio' /proc/modules)"

# (a) started before VFIO: waits, attaches when the modules appear, counts exactly
vfiotrace stat -j >$out/bare.out 2>$out/bare.err &
pid=$!
if wait_for $out/bare.err 'waiting for' 1; then
	echo "@@ begin bare"
	caps $pid | tag caps_waiting
	vfio-setup load 2>&1 | tag setup
	vfio-setup bind 2>&1 | tag setup
	wait_for $out/bare.err '^Tracing' 1
	caps $pid | tag caps
	workload workload "vfio-workload -n 2"
	stop $pid INT
	tag trace <$out/bare.out
	tag stderr <$out/bare.err
	echo "@@ end bare"
else
	kill -9 $pid
	vfio-setup >/dev/null 2>&1
fi

for g in /sys/kernel/iommu_groups/*; do
	n=${g##*/}
	[ -e /dev/vfio/$n ] || continue
	for d in $g/devices/*; do
		echo "@@ sysfs $n ${d##*/} $(basename "$(readlink $d/subsystem)")"
	done
done
[ -e /sys/kernel/btf/vfio ] && echo "@@ btf vfio yes" || echo "@@ btf vfio no"
[ -e /sys/kernel/btf/vfio_iommu_type1 ] && echo "@@ btf type1 yes" || echo "@@ btf type1 no"
# which of the hooks' candidate functions this kernel has, and in which module: the
# load/unload events must list the hooks in that module (check_lifecycle.py's table)
for f in vfio_iommu_type1_attach_group iommu_paging_domain_alloc_flags iommu_paging_domain_alloc \
	 iommu_domain_alloc vfio_device_put_registration vfio_device_put vfio_device_try_get_registration \
	 vfio_group_get_device vfio_device_get_from_dev vfio_group_fops_unl_ioctl vfio_unregister_group_dev \
	 vfio_group_fops_open vfio_group_fops_release iommu_group_claim_dma_owner vfio_dev_viable \
	 iommu_group_has_isolated_msi irq_domain_check_msi_remap iommu_capable device_iommu_capable \
	 iommu_attach_group intel_iommu_attach_device iommu_get_msi_cookie vfio_iommu_domain_alloc \
	 vfio_pci_open_device vfio_pci_open vfio_pci_core_close_device vfio_pci_release vfio_pci_core_ioctl \
	 vfio_pci_ioctl __pci_reset_function_locked pci_dev_specific_reset pci_dev_acpi_reset pcie_flr \
	 pci_af_flr pci_pm_reset pci_reset_bus_function pci_parent_bus_reset cxl_reset_bus_function \
	 pci_reset_bus pci_reset_hotplug_slot pci_reset_secondary_bus __pci_set_power_state \
	 pci_set_power_state pci_set_power_state_locked pci_power_up dmar_fault report_iommu_fault \
	 vfio_iommufd_physical_attach_ioas iommufd_hwpt_paging_alloc; do
	grep -E " $f(\s|$)" /proc/kallsyms | head -1 | awk '{print "@@ kallsyms", $3, ($4 == "" ? "vmlinux" : $4)}' | tr -d '[]'
done

# (c) every way of ending leaves nothing hooked behind (before any module
# reload: see the leftovers check at the end)
for sig in INT TERM HUP KILL; do
	vfiotrace stat -j >$out/sig$sig.out 2>$out/sig$sig.err &
	pid=$!
	wait_for $out/sig$sig.err '^Tracing' 1 || { kill -9 $pid; continue; }
	echo "@@ begin sig$sig"
	workload workload "vfio-workload -n 1"
	hooks_now | tag during
	stop $pid $sig
	# a bounded wait: a killed process's files are closed as it is reaped
	i=0
	while [ -n "$(hooks_now)" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
	hooks_now | tag left
	tag trace <$out/sig$sig.out
	tag stderr <$out/sig$sig.err
	echo "@@ end sig$sig"
done

# (b) reload of vfio_iommu_type1 under the default mode: rmmod works, the
# hooks come back, counts before + after equal what the workload did
vfiotrace stat -j >$out/reload.out 2>$out/reload.err &
pid=$!
if wait_for $out/reload.err '^Tracing' 1; then
	echo "@@ begin reload"
	workload workload "vfio-workload -n 2"
	rmmod vfio_iommu_type1
	echo "@@ rmmod $?"
	wait_for $out/reload.err 'module vfio_iommu_type1 unloaded' 1
	echo "@@ loaded_after_rmmod $(grep -c '^vfio_iommu_type1 ' /proc/modules)"
	insmod $MODDIR/$type1
	echo "@@ insmod $?"
	wait_for $out/reload.err '^Tracing' 2
	caps $pid | tag caps
	workload workload2 "vfio-workload -n 3"
	stop $pid INT
	tag trace <$out/reload.out
	tag stderr <$out/reload.err
	echo "@@ end reload"
else
	kill -9 $pid
fi

# (b') --mode fentry keeps fentry on the module: rmmod is refused, and said so
if [ -e /sys/kernel/btf/vfio_iommu_type1 ]; then
	vfiotrace stat -j --mode fentry >$out/fentry.out 2>$out/fentry.err &
	pid=$!
	if wait_for $out/fentry.err '^Tracing' 1; then
		echo "@@ begin fentry"
		rmmod vfio_iommu_type1 2>&1 | tag rmmod_msg
		grep -c '^vfio_iommu_type1 ' /proc/modules | tag loaded
		stop $pid INT
		tag trace <$out/fentry.out
		tag stderr <$out/fentry.err
		echo "@@ end fentry"
	else
		kill -9 $pid
	fi
	grep -q '^vfio_iommu_type1 ' /proc/modules || insmod $MODDIR/$type1
fi

# (d') where perf_event_open needs no CAP_SYS_ADMIN (perf_event_paranoid <= 2 on
# Debian kernels), the kept set is CAP_BPF, CAP_PERFMON, CAP_SYSLOG, and it is
# enough to re-attach after a reload
old_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
echo 2 >/proc/sys/kernel/perf_event_paranoid
vfiotrace stat -j >$out/paranoid2.out 2>$out/paranoid2.err &
pid=$!
if wait_for $out/paranoid2.err '^Tracing' 1; then
	echo "@@ begin paranoid2"
	caps $pid | tag caps
	rmmod vfio_iommu_type1
	echo "@@ rmmod $?"
	wait_for $out/paranoid2.err 'module vfio_iommu_type1 unloaded' 1
	insmod $MODDIR/$type1
	echo "@@ insmod $?"
	wait_for $out/paranoid2.err '^Tracing' 2
	workload workload2 "vfio-workload -n 1"
	stop $pid INT
	tag trace <$out/paranoid2.out
	tag stderr <$out/paranoid2.err
	echo "@@ end paranoid2"
else
	kill -9 $pid
fi
echo $old_paranoid >/proc/sys/kernel/perf_event_paranoid

# (e) every VFIO module unloaded and loaded again under one vfiotrace: no
# rmmod is refused, every traced module (vfio, vfio_iommu_type1, vfio_pci, and
# vfio_pci_core from 6.1) comes back
vfiotrace stat -j >$out/all.out 2>$out/all.err &
pid=$!
if wait_for $out/all.err '^Tracing' 1; then
	echo "@@ begin all"
	for f in $(awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' $MODDIR/vmtest/vfio.order); do
		m=$(basename $f .ko | tr - _)
		grep -q "^$m " /proc/modules || continue
		rmmod $m
		echo "@@ unload $m $?"
	done
	wait_for $out/all.err 'module vfio unloaded' 1
	vfio-setup load 2>&1 | tag setup
	vfio-setup bind 2>&1 | tag setup
	# one Tracing line per traced module that came back (each said it was unloaded)
	wait_for $out/all.err '^Tracing' $((1 + $(grep -c 'module .* unloaded' $out/all.err)))
	workload workload "vfio-workload -n 1"
	stop $pid INT
	tag trace <$out/all.out
	tag stderr <$out/all.err
	echo "@@ end all"
else
	kill -9 $pid
fi

# after the reloads above, once no vfiotrace runs: anything still hooked?
i=0
while [ -n "$(hooks_now)" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
echo "@@ begin leftovers"
hooks_now | tag left
echo "@@ end leftovers"

# every VFIO module unloads afterwards (vfio-pci first: it releases the devices)
for f in $(awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' $MODDIR/vmtest/vfio.order); do
	m=$(basename $f .ko | tr - _)
	grep -q "^$m " /proc/modules || continue
	rmmod $m
	echo "@@ unload $m $?"
done
echo "@@ done"
