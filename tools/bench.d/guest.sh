#!/bin/sh
# Runs in a tools/vmtest --hostroot guest: times the same VFIO workload
# untraced, under an empty-bodied bpftrace (the probe floor), under vfiotrace
# (auto and --mode kprobe) and under a bpftrace script that collects what
# `vfiotrace stat` does; also the run time of each tracer's BPF programs. Rounds interleave the configurations so that drift in
# the emulated machine hits all of them alike.
# usage: guest.sh ATTACHES ROUNDS
set -u
n=$1 rounds=$2
out=/tmp/bench
mkdir -p $out
group=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | head -1)
fn() { vfiotrace probes -j | python3 -c "
import json, sys
hooks = json.load(sys.stdin)['hooks']
print(' '.join(h['function'] for h in hooks if h['hook'] == '$1' and h['function']))"; }
attach=$(fn attach) put=$(fn device_put) allocs=$(fn domain_alloc)
alloc_list=$(for a in $allocs; do printf 'kprobe:%s,' $a; done | sed 's/,$//')
alloc_ret=$(for a in $allocs; do printf 'kretprobe:%s,' $a; done | sed 's/,$//')

cat >$out/floor.bt <<BT
kprobe:$attach, kretprobe:$attach, $alloc_list, $alloc_ret, kprobe:$put {}
BT
cat >$out/equiv.bt <<BT
kprobe:$attach { @g[tid] = ((struct iommu_group *)arg1)->id; @t[tid] = nsecs; }
kretprobe:$attach /@t[tid]/ {
	if ((int32)retval == 0) { @ok[@g[tid]] = count(); } else { @fail[@g[tid], (int32)retval] = count(); }
	@attach_ns[@g[tid]] = hist(nsecs - @t[tid]);
	delete(@t[tid]); delete(@g[tid]);
}
$alloc_list { @at[tid] = nsecs; }
$alloc_ret /@at[tid]/ { @alloc_ns = hist(nsecs - @at[tid]); @allocs = count(); delete(@at[tid]); }
kprobe:$put { @puts[kstack(3)] = count(); }
BT

# start CONFIG: start the tracer for CONFIG, wait until it is attached
start() {
	case $1 in
	none) tracer=;;
	bpftrace-floor) bpftrace $out/floor.bt >$out/bt.out 2>&1 & tracer=$!; ready="Attaching";;
	bpftrace-equivalent) bpftrace $out/equiv.bt >$out/bt.out 2>&1 & tracer=$!; ready="Attaching";;
	vfiotrace) vfiotrace stat >/dev/null 2>$out/bt.out & tracer=$!; ready="Tracing";;
	vfiotrace-kprobe) vfiotrace stat --mode kprobe >/dev/null 2>$out/bt.out & tracer=$!; ready="Tracing";;
	esac
	[ -z "$tracer" ] && return
	i=0
	until grep -q "$ready" $out/bt.out 2>/dev/null || [ $i -gt 600 ]; do i=$((i + 1)); sleep 0.1; done
	sleep 1	# bpftrace prints "Attaching" before the last probe is attached
}
# cost CONFIG ROUND: time the tracer's BPF programs ran (kernel.bpf_stats_enabled);
# nothing else in the guest loads BPF, so every loaded program is the tracer's
cost() {
	[ -z "$tracer" ] && return
	bpftool -j prog show | python3 -c "
import json, sys
progs = json.load(sys.stdin)
print('@@ bpfcost $1 $2', sum(p.get('run_time_ns', 0) for p in progs), sum(p.get('run_cnt', 0) for p in progs))"
}
stop() {
	[ -z "$tracer" ] && return
	kill -INT $tracer; i=0
	while kill -0 $tracer 2>/dev/null && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
	wait $tracer
}

echo 1 >/proc/sys/kernel/bpf_stats_enabled
echo "@@ kernel $(uname -r)"
echo "@@ functions attach=$attach alloc=$allocs put=$put"
for r in $(seq $rounds); do
	for c in none bpftrace-floor vfiotrace vfiotrace-kprobe bpftrace-equivalent; do
		start $c
		t0=$(date +%s%N)
		vfio-workload -n $n -g $group >/dev/null
		t1=$(date +%s%N)
		cost $c $r
		stop
		echo "@@ bench $c $r $(( (t1 - t0) / 1000 ))"
	done
done
