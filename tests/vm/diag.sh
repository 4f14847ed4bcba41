#!/bin/sh
# Runs inside a tools/vmtest guest (normal boot): drives the failures vfiotrace
# diagnoses and prints the ground truth (sysfs, /proc, the workload's own JSON
# with the errno it got) next to what vfiotrace reported, as tagged lines
# "@@ TAG payload" that tests/vm/check_diag.py compares. Every wait is bounded.
# usage: diag.sh
# Scenarios: ok (a successful attach: no diagnosis, alloc_device), busy_before
# and busy_traced (a second open while another process holds the group; the
# holder opened before / after vfiotrace started), not_viable (one e1000 of
# the bridge group rebound to the host e1000 driver), diagnose.

set -u
out=/tmp/vt
mkdir -p $out

. "${0%/*}/lib.sh"

# wait_holding PID GROUP: until PID has /dev/vfio/GROUP open (at most 30 s)
wait_holding() {
	i=0
	while ! ls -l /proc/$1/fd 2>/dev/null | grep -q "/dev/vfio/$2\$"; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then echo "@@ error pid $1 never opened /dev/vfio/$2"; return 1; fi
		sleep 0.1
	done
}

# release PID NAME: end a holder's hold (SIGUSR1), wait for it to exit (at most
# 60 s), print "@@ holder_exit NAME STATUS"
release() {
	kill -USR1 $1 2>/dev/null
	i=0
	while kill -0 $1 2>/dev/null && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
	kill -0 $1 2>/dev/null && { echo "@@ error holder $2 did not exit after SIGUSR1"; kill -9 $1; }
	wait $1
	echo "@@ holder_exit $2 $?"
}

sysfs() {
	for g in /sys/kernel/iommu_groups/*; do
		n=${g##*/}
		for d in $g/devices/*; do
			drv=$(basename "$(readlink $d/driver 2>/dev/null)" 2>/dev/null)
			echo "@@ sysfs $n ${d##*/} $(basename "$(readlink $d/subsystem)") ${drv:--}"
		done
	done
}

echo "@@ kernel $(uname -r)"
sysfs
for f in vfio_group_fops_open vfio_group_fops_release vfio_group_fops_unl_ioctl \
	 iommu_group_claim_dma_owner vfio_dev_viable iommu_group_has_isolated_msi \
	 irq_domain_check_msi_remap iommu_capable device_iommu_capable iommu_attach_group \
	 intel_iommu_attach_device iommu_get_msi_cookie vfio_iommu_domain_alloc register_fprobe_ips; do
	grep -E " $f(\s|$)" /proc/kallsyms | head -1 | awk '{print "@@ kallsyms", $3, ($4 == "" ? "vmlinux" : $4)}' | tr -d '[]'
done
single=$(for g in /sys/kernel/iommu_groups/*; do
	[ -e /dev/vfio/${g##*/} ] && [ "$(ls $g/devices | wc -l)" = 1 ] && echo ${g##*/}; done | head -1)
bridge=$(for g in /sys/kernel/iommu_groups/*; do
	[ -e /dev/vfio/${g##*/} ] && [ "$(ls $g/devices | wc -l)" -gt 1 ] && echo ${g##*/}; done | head -1)
echo "@@ groups single=$single bridge=$bridge"

echo "@@ begin probes"
vfiotrace probes -j | tag trace
echo "@@ end probes"

# ---- a successful attach: no diagnosis; the device each domain was for
run_traced ok_snoop "vfio-workload -n 1 -g $single" snoop -j
run_traced ok_stat "vfio-workload -n 1 -g $single" stat -j

# ---- busy: the holder opened before vfiotrace started (found in /proc)
vfio-workload -n 1 -s 300 -g $single >$out/holder1.json &
hpid=$!
wait_holding $hpid $single && echo "@@ holder busy_before $hpid"
run_traced busy_before "vfio-workload --report -g $single" snoop -j
release $hpid busy_before
tag "holderjson busy_before" <$out/holder1.json

# ---- busy: the holder opened while vfiotrace traced
vfiotrace snoop -j >$out/busy_traced.out 2>$out/busy_traced.err &
vpid=$!
if wait_tracing $out/busy_traced.err $vpid; then
	echo "@@ begin busy_traced"
	vfio-workload -n 1 -s 300 -g $single >$out/holder2.json &
	hpid=$!
	wait_holding $hpid $single && echo "@@ holder busy_traced $hpid"
	workload workload "vfio-workload --report -g $single"
	release $hpid busy_traced
	tag "holderjson busy_traced" <$out/holder2.json
	stop $vpid
	tag trace <$out/busy_traced.out
	grep -v '^Tracing' $out/busy_traced.err | tag stderr
	echo "@@ end busy_traced"
fi

# ---- not viable: one e1000 of the bridge group bound to the host driver
victim=$(for d in /sys/kernel/iommu_groups/$bridge/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = 0x8086:0x100e ] && echo ${d##*/}; done | head -1)
modprobe e1000 2>/dev/null || insmod "$(find /lib/modules/$(uname -r) -name e1000.ko | head -1)"
d=/sys/bus/pci/devices/$victim
echo e1000 >$d/driver_override
[ -e $d/driver ] && echo $victim >$d/driver/unbind
echo $victim >/sys/bus/pci/drivers_probe
i=0
while [ "$(basename "$(readlink $d/driver 2>/dev/null)" 2>/dev/null)" != e1000 ] && [ $i -lt 100 ]; do
	i=$((i + 1)); sleep 0.1
done
echo "@@ rebound $victim $(basename "$(readlink $d/driver 2>/dev/null)" 2>/dev/null)"
sysfs
run_traced not_viable_snoop "vfio-workload --report -g $bridge" snoop -j
run_traced not_viable_stat "vfio-workload --report -g $bridge" stat -j
run_traced not_viable_text "vfio-workload --report -g $bridge" stat
# -v: the kernel stack of the failing step, symbolized with module symbols
run_traced not_viable_verbose "vfio-workload --report -g $bridge" snoop -j -v

# ---- diagnose (no tracing) in the same state: the bridge group not viable,
# the single group held by a workload
vfio-workload -n 1 -s 300 -g $single >$out/holder3.json &
hpid=$!
if wait_holding $hpid $single; then
	echo "@@ holder diagnose $hpid"
	# the backends' ground truth: /dev/iommu, the device cdevs, /dev/vfio/vfio
	echo "@@ backends_truth $([ -e /dev/iommu ] && echo 1 || echo 0) $(ls /dev/vfio/devices 2>/dev/null | wc -l) $([ -d /dev/vfio/devices ] && echo 1 || echo 0) $([ -e /dev/vfio/vfio ] && echo 1 || echo 0)"
	echo "@@ begin diagnose"
	vfiotrace diagnose -j >$out/diagnose.out 2>$out/diagnose.err
	echo "@@ exit $?"
	tag trace <$out/diagnose.out
	tag stderr <$out/diagnose.err
	echo "@@ end diagnose"
	echo "@@ begin diagnose_text"
	vfiotrace diagnose >$out/diagnose.out 2>$out/diagnose.err
	echo "@@ exit $?"
	tag trace <$out/diagnose.out
	tag stderr <$out/diagnose.err
	echo "@@ end diagnose_text"
fi
release $hpid diagnose
echo "@@ done"
