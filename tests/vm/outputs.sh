#!/bin/sh
# Runs inside a tools/vmtest guest (normal boot): one fixed workload per output of
# vfiotrace (probes -j, stat -j, snoop -j, refs -j, hist, stat -j --dma, diagnose -j,
# a Prometheus scrape), printed as "@@ out NAME LINE" for tests/same-output, which
# compares two builds' outputs with times and latencies taken out. Every wait is bounded.
set -u
out=/tmp/outputs
mkdir -p $out
. "${0%/*}/lib.sh"

echo "@@ kernel $(uname -r)"
first=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | head -1)
bridge=$(for g in $(ls /dev/vfio | grep -E '^[0-9]+$'); do
	[ "$(ls /sys/kernel/iommu_groups/$g/devices | wc -l)" -gt 1 ] && echo $g; done | head -1)

# show NAME FILE...: the files as "@@ out NAME" lines
show() {
	name=$1
	shift
	cat "$@" | sed "s/^/@@ out $name /"
}

# traced NAME WORKLOAD ARGS...: vfiotrace ARGS around one workload run; stdout, then stderr
traced() {
	name=$1 wl=$2
	shift 2
	vfiotrace "$@" >$out/$name.out 2>$out/$name.err &
	pid=$!
	wait_tracing $out/$name.err $pid || { kill -9 $pid 2>/dev/null; return; }
	sh -c "$wl" >$out/$name.wl 2>&1
	echo "@@ out $name.workload_exit $?"
	stop $pid INT $name.exit
	show $name $out/$name.out
	grep -v '^Tracing' $out/$name.err | sed "s/^/@@ out $name.stderr /"
}

vfiotrace probes -j >$out/probes.out 2>&1
show probes $out/probes.out
traced stat "vfio-workload -n 2" stat -j
traced stat_text "vfio-workload -n 1" stat
traced snoop "vfio-workload -n 1 -g $first" snoop -j
traced snoop_text "vfio-workload -n 1 -g $first" snoop
traced refs "vfio-workload -n 1 -g $bridge" refs -j
traced hist "vfio-workload -n 2 -g $first" hist
traced dma "vfio-workload -n 1 -g $first --dma 1048576 --dma-count 2" stat -j --dma
traced dma_fail "vfio-workload -n 1 -g $first --dma 65536 --dma-fail overlap" snoop -j --dma
vfiotrace diagnose -j >$out/diagnose.out 2>&1
echo "@@ out diagnose.exit $?"
show diagnose $out/diagnose.out
# a scrape after one workload run (busybox wget; loopback is down without --forward)
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
vfiotrace stat --prometheus 127.0.0.1:9400 >$out/prom.out 2>$out/prom.err &
pid=$!
if wait_tracing $out/prom.err $pid; then
	vfio-workload -n 2 >/dev/null 2>&1
	echo "@@ out prom.workload_exit $?"
	wget -q -O $out/prom.scrape http://127.0.0.1:9400/metrics
	echo "@@ out prom.wget_exit $?"
	stop $pid INT prom.exit
	show prom $out/prom.scrape
fi
echo "@@ done"
