#!/bin/sh
# Runs inside a tools/vmtest --kernel iommufd guest (issue 25): the kernel built with IOMMUFD
# and the VFIO cdev; vfio-workload drives the first group through the type1 container and the
# second through iommufd (--iommufd: /dev/iommu, the device cdevs), while vfiotrace stat -j --dma,
# stat --dma (text) and snoop -j trace both. Prints the kernel's facts and the ground truth as "@@ TAG payload" lines for
# tests/vm/check_iommufd.py.
set -u
out=/tmp/vt
mkdir -p $out

. "${0%/*}/lib.sh"

echo "@@ kernel $(uname -r)"
zcat /proc/config.gz | grep -E '^CONFIG_(IOMMUFD|VFIO_DEVICE_CDEV|VFIO_CONTAINER|IOMMUFD_VFIO_CONTAINER)=' | tag config
[ -c /dev/iommu ] && echo "@@ dev_iommu yes" || echo "@@ dev_iommu no"
# the type1 run on the first group (the e1000e alone), the iommufd run on the second (the
# bridge's two e1000 and the bridge, which has no driver and so no cdev)
first=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | head -1)
second=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | sed -n 2p)
echo "@@ groups $first $second"
# each member of both groups: its driver and its cdev (none: no VFIO driver, no cdev)
for g in $first $second; do
	for d in /sys/kernel/iommu_groups/$g/devices/*; do
		drv=$(readlink $d/driver)
		drv=${drv##*/}
		cdev=$(ls $d/vfio-dev 2>/dev/null)
		echo "@@ member $g ${d##*/} ${drv:--} ${cdev:--}"
	done
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
vfiotrace stat --dma --textfile $out/vt.prom >$out/stat_text.out 2>$out/stat_text.err &
xp=$!
vfiotrace snoop -j >$out/snoop.out 2>$out/snoop.err &
np=$!
wait_tracing $out/stat.err $sp && wait_tracing $out/stat_text.err $xp && wait_tracing $out/snoop.err $np ||
	echo "@@ error a tracer did not start"
workload type1 "vfio-workload -g $first -n 2 --dma 1048576"
workload iommufd "vfio-workload --iommufd -g $second -n 2 --dma 2097152"
# a map over RLIMIT_MEMLOCK through iommufd (CAP_IPC_LOCK dropped): ENOMEM, accounted per user;
# on the first group, which is then attached through both backends
workload memlock "vfio-workload --iommufd -g $first -n 1 --dma 4194304 --memlock 1048576"
workload iommufd_bad "vfio-workload --iommufd --hot-reset $first"
stop $sp INT
stop $xp INT text_exit
stop $np INT snoop_exit
tag trace <$out/stat.out
grep -v '^Tracing' $out/stat.err | tag stderr
tag text <$out/stat_text.out
grep -v '^Tracing' $out/stat_text.err | tag text_stderr
tag snoop <$out/snoop.out
grep -E '^vfiotrace_(group_info|iommufd_|attach_total)' $out/vt.prom | tag prom
grep -v '^Tracing' $out/snoop.err | tag snoop_stderr
echo "@@ done"
