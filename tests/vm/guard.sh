#!/bin/sh
# Runs inside a tools/vmtest guest booted with preempt=full (tests/run's guard set): ROUNDS
# workload runs while a loop scrapes vfiotrace's /metrics without pause, so that the workload
# often preempts the tracer in the middle of a map read. A bpf() lookup holds its CPU's BPF
# recursion guard (bpf_prog_active): preempted there, every kprobe of that one vCPU misses.
# The sys_enter_bpf tracepoint counts the tracer's bpf() map updates at start-up (proof that it
# sees the tracer's calls) and its BPF_MAP_LOOKUP_ELEM calls while it is scraped.
# Prints "@@ TAG payload" lines for tests/vm/check_guard.py.
# usage: guard.sh [ROUNDS]   (default 300)
set -u
rounds=${1:-300}
case $rounds in *[!0-9]*|'') rounds=300;; esac
out=/tmp/vt
tr=/sys/kernel/tracing
mkdir -p $out
. "${0%/*}/lib.sh"
echo "@@ kernel $(uname -r)"
echo "@@ rounds $rounds"
echo "@@ preempt $(cat /sys/kernel/debug/sched/preempt 2>/dev/null || echo unknown)"
# the guest's loopback is down unless tools/vmtest was given --forward
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || echo "@@ error cannot bring lo up"
# BPF_MAP_LOOKUP_ELEM and BPF_MAP_UPDATE_ELEM are commands 1 and 2 (include/uapi/linux/bpf.h)
echo 'cmd == 1 || cmd == 2' >$tr/events/syscalls/sys_enter_bpf/filter &&
	echo 1 >$tr/events/syscalls/sys_enter_bpf/enable || echo "@@ error cannot trace sys_enter_bpf"
echo >$tr/trace
vfiotrace stat --prometheus 127.0.0.1:9400 --textfile $out/v.prom 1 >$out/main.out 2>$out/main.err &
pid=$!
wait_tracing $out/main.err $pid || { kill -9 $pid 2>/dev/null; echo "@@ done"; exit 0; }
echo guard_window >$tr/trace_marker
(
	n=0
	while [ ! -e $out/stop ]; do
		wget -q -O /dev/null http://127.0.0.1:9400/metrics && n=$((n + 1))
	done
	echo $n >$out/scrapes
) &
spid=$!
i=0
while [ $i -lt $rounds ]; do
	i=$((i + 1))
	vfio-workload -n 1 >>$out/wl 2>>$out/wl.err || echo "@@ error workload round $i exit $?"
done
touch $out/stop
wait $spid
echo 0 >$tr/events/syscalls/sys_enter_bpf/enable
echo "@@ scrapes $(cat $out/scrapes)"
# "vfiotrace-TID ... sys_bpf(cmd: 0x00000001, ...)": any of its threads, before and after the marker
awk 'BEGIN { w = 0 } /guard_window/ { w = 1 } /^ *vfiotrace-[0-9]+ .*sys_bpf\(cmd: / {
	c = $0; sub(/.*cmd: (0x)?0*/, "", c); sub(/,.*/, "", c); n[w, c]++ }
	END { printf "@@ window_marker %d\n@@ start_updates %d\n@@ tracer_lookups %d\n", w, n[0, "2"], n[1, "1"] }' $tr/trace
# events the ring buffer dropped to make room: the counts above are then not all of them
echo "@@ trace_overrun $(cat $tr/per_cpu/cpu*/stats | awk '/^overrun:/ { n += $2 } END { print n + 0 }')"
stop $pid
tag workload <$out/wl
tag workload_stderr <$out/wl.err
grep -E '^vfiotrace_(attach_total|probes_missed_total|events_dropped_total|map_full_total)' $out/v.prom | tag textfile
grep -v '^Tracing' $out/main.err | tag stderr
echo "@@ done"
