#!/bin/sh
# Runs inside a tools/vmtest guest: start and stop a tracer N times and time each
# exit, to reproduce the exit stall (a link close waiting for an RCU grace period
# that never ends) on purpose and count its rate. One attach per cycle so the
# programs have run. A cycle whose exit takes longer than 60 s is a stall: the
# kernel's view of the stuck tasks is printed and the loop ends (every later
# link close would wait behind the same grace period).
# usage: cycles.sh N vfiotrace|floor|bpftrace [hog]
# hog: a busy loop runs in the guest throughout, so that a CPU is always running a task
# when a grace period starts (RCU Tasks Trace then sends that CPU an IPI to check it)
# prints "@@ cycle I EXIT_MS", then "@@ cycles DONE STALLS" (tests/stall-rate reads them)
set -u
n=${1:-100} tracer=${2:-vfiotrace} hog=${3:-}
out=/tmp/cycles
mkdir -p $out
. "${0%/*}/lib.sh"
echo "@@ kernel $(uname -r)"
first=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | head -1)
put=$(grep -oE ' vfio_device_put(_registration)?$' /proc/kallsyms | head -1 | tr -d ' ')
alloc=$(for f in iommu_paging_domain_alloc_flags iommu_paging_domain_alloc iommu_domain_alloc; do
	grep -qE " $f\$" /proc/kallsyms && { echo $f; break; }; done)

start_tracer() {
	rm -f $out/t.err	# else the last cycle's "Tracing" line could be read before the new one truncates it
	case $tracer in
	vfiotrace) vfiotrace stat >$out/t.out 2>$out/t.err & ;;
	floor) /mnt/add/bench-floor k:vfio_iommu_type1_attach_group r:vfio_iommu_type1_attach_group \
		k:$put k:$alloc r:$alloc >$out/t.out 2>$out/t.err & ;;
	bpftrace) bpftrace -e "BEGIN { printf(\"Tracing\\n\"); }
		kprobe:vfio_iommu_type1_attach_group { @a = count(); }
		kretprobe:vfio_iommu_type1_attach_group { @r = count(); }
		kprobe:$put { @p = count(); } kprobe:$alloc { @d = count(); }" >$out/t.err 2>&1 & ;;
	esac
	tpid=$!
}

if [ -n "$hog" ]; then
	sh -c 'while :; do :; done' &
	hogpid=$!
	echo "@@ hog $hogpid"
fi
stalls=0 cyc=0
while [ $cyc -lt $n ]; do
	cyc=$((cyc + 1))
	start_tracer
	wait_tracing $out/t.err || { kill -9 $tpid; wait $tpid; echo "@@ error cycle $cyc: no start"; break; }
	vfio-workload -n 1 -g $first >/dev/null 2>&1 || echo "@@ error cycle $cyc: workload exit $?"
	t0=$(cut -d" " -f1 /proc/uptime | tr -d .)
	kill -INT $tpid
	j=0
	while kill -0 $tpid 2>/dev/null && [ $j -lt 600 ]; do j=$((j + 1)); sleep 0.1; done
	t1=$(cut -d" " -f1 /proc/uptime | tr -d .)
	if kill -0 $tpid 2>/dev/null; then
		stalls=$((stalls + 1))
		echo "@@ stall cycle $cyc: $tracer still running 60 s after SIGINT"
		stuck $tpid
		break
	fi
	wait $tpid
	echo "@@ cycle $cyc $(( (t1 - t0) * 10 ))"
done
[ -n "$hog" ] && kill $hogpid
echo "@@ cycles $cyc $stalls"
