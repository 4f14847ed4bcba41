#!/bin/sh
# Runs inside a tools/vmtest --kernel iommufd guest (issue 25): the kernel built with IOMMUFD
# and the VFIO cdev; vfio-workload drives the first group through the type1 container and then
# through iommufd (--iommufd: /dev/iommu, the device cdevs), while vfiotrace stat -j --dma traces
# both. Prints the kernel's facts and the ground truth as "@@ TAG payload" lines for
# tests/vm/check_iommufd.py.
set -u
out=/tmp/vt
mkdir -p $out

. "${0%/*}/lib.sh"

echo "@@ kernel $(uname -r)"
zcat /proc/config.gz | grep -E '^CONFIG_(IOMMUFD|VFIO_DEVICE_CDEV|VFIO_CONTAINER|IOMMUFD_VFIO_CONTAINER)=' | tag config
[ -c /dev/iommu ] && echo "@@ dev_iommu yes" || echo "@@ dev_iommu no"
first=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | head -1)
echo "@@ group $first"
# each member of the group: its driver and its cdev (none: no VFIO driver, no cdev)
for d in /sys/kernel/iommu_groups/$first/devices/*; do
	echo "@@ member ${d##*/} $(basename "$(readlink $d/driver)" 2>/dev/null) $(ls $d/vfio-dev 2>/dev/null)"
done
ls /dev/vfio/devices 2>/dev/null | tag cdev
for d in /sys/bus/pci/devices/*; do
	[ -d $d/vfio-dev ] && echo "@@ cdev_of ${d##*/} $(ls $d/vfio-dev)"
done
vfiotrace diagnose -j >$out/diagnose.out 2>$out/diagnose.err
echo "@@ diagnose_exit $?"
tag diagnose <$out/diagnose.out
tag diagnose_stderr <$out/diagnose.err

vfiotrace probes -j >$out/probes.out 2>$out/probes.err
echo "@@ probes_exit $?"
tag probes <$out/probes.out
vfiotrace stat -j --dma >$out/stat.out 2>$out/stat.err &
sp=$!
wait_tracing $out/stat.err $sp || echo "@@ error stat did not start"
workload type1 "vfio-workload -g $first -n 2 --dma 1048576"
workload iommufd "vfio-workload --iommufd -g $first -n 2 --dma 2097152"
workload iommufd_bad "vfio-workload --iommufd --hot-reset $first"
stop $sp INT
tag trace <$out/stat.out
grep -v '^Tracing' $out/stat.err | tag stderr
echo "@@ done"
