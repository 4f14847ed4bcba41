#!/bin/sh
# Runs inside a tools/vmtest guest started by tests/vm/check_metrics.py with
# --forward HOST:9400 (the exporter) and --forward HOST:9500 (the host's "go"):
# vfiotrace serves /metrics on 0.0.0.0:9400 and keeps a textfile; the workload
# runs in two phases, each released by the host connecting to 9500, so the
# host can hold hostile connections open while phase b attaches. Prints tagged
# lines "@@ TAG payload" for the host. Every wait here is bounded.
# usage: metrics.sh [nodma]   (nodma: without --dma, for kernels where it does not load)
set -u
dma=--dma dmawork="--dma 1048576 --dma-count 2"
[ "${1:-}" = nodma ] && dma= dmawork=
out=/tmp/vt
mkdir -p $out
. "${0%/*}/lib.sh"
# phase NAME: announce the phase once the "go" listener is up, then wait for
# the host to connect to it (at most 200 s)
phase() {
	timeout 200 nc -l -p 9500 </dev/null >/dev/null 2>&1 &
	ncpid=$!
	i=0
	until netstat -ltn | grep -q ':9500 '; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then echo "@@ error nc does not listen on 9500"; break; fi
		sleep 0.1
	done
	echo "@@ phase $1"
	wait $ncpid
	[ $? = 124 ] && echo "@@ error no go from the host within 200 s (phase $1)"
}

echo "@@ kernel $(uname -r)"
vfiotrace stat $dma --prometheus 0.0.0.0:9400 --textfile $out/vfiotrace.prom 1 >$out/main.out 2>$out/main.err &
pid=$!
wait_tracing $out/main.err || { kill -9 $pid; exit 1; }
netstat -ltn | tag netstat_main
workload workload "vfio-workload -n 2"
# a hostile task name (quote, backslash, control bytes, DEL, tab, UTF-8): the scrape stays valid
workload workload "vfio-workload -n 1 --comm-hex 22715c27010a7f09c3a9e282ac"
phase a
workload workload "vfio-workload -n 1 $dmawork"
phase b
# --prometheus :PORT listens on loopback only
vfiotrace stat --prometheus :9401 >$out/loop.out 2>$out/loop.err &
lpid=$!
if wait_tracing $out/loop.err; then
	netstat -ltn | tag netstat_loop
	wget -q -O - http://127.0.0.1:9401/metrics 2>&1 | grep '^vfiotrace_build_info' | tag loop_scrape
fi
stop $lpid INT loop_exit
stop $pid
grep -v '^Tracing' $out/main.err | tag stderr
ls $out | tag textfile_dir
tag_file textfile $out/vfiotrace.prom
echo "@@ done"
