#!/bin/sh
# Runs inside a tools/vmtest guest (normal boot): a soak of 2,000 attach cycles,
# each opening and closing every device fd, traced by two vfiotrace instances
# at once; their resident memory after the first 100 and after the last; then
# two short instances stopped in the other order. Prints "@@ TAG payload" lines
# for tests/vm/check_soak.py. Every wait is bounded.
set -u
out=/tmp/soak
mkdir -p $out
. "${0%/*}/lib.sh"

rss() { grep VmRSS /proc/$1/status | tr -s ' ' | cut -d' ' -f2; }

echo "@@ kernel $(uname -r)"
first=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | head -1)
echo "@@ group $first"

# a, b: both trace the whole soak; b stops first
vfiotrace stat -j >$out/a.out 2>$out/a.err &
apid=$!
vfiotrace stat -j >$out/b.out 2>$out/b.err &
bpid=$!
if wait_tracing $out/a.err $apid && wait_tracing $out/b.err $bpid; then
	echo "@@ begin soak"
	vfio-workload -n 100 -g $first >$out/w1 2>$out/w1.err
	echo "@@ workload_exit $?"
	echo "@@ rss first_100 $(rss $apid)"
	vfio-workload -n 1900 -g $first >$out/w2 2>$out/w2.err
	echo "@@ workload_exit $?"
	echo "@@ rss last $(rss $apid)"
	cat $out/w1 $out/w2 | tag workload
	cat $out/w1.err $out/w2.err | tag workload_stderr
	stop $bpid INT b_exit
	stop $apid INT a_exit
	tag a <$out/a.out
	tag b <$out/b.out
	grep -hv '^Tracing' $out/a.err $out/b.err | tag stderr
	echo "@@ end soak"
fi

# c, d: a short run, the instance started first stops first
vfiotrace stat -j >$out/c.out 2>$out/c.err &
cpid=$!
vfiotrace stat -j >$out/d.out 2>$out/d.err &
dpid=$!
if wait_tracing $out/c.err $cpid && wait_tracing $out/d.err $dpid; then
	echo "@@ begin order"
	workload workload "vfio-workload -n 5 -g $first"
	stop $cpid INT a_exit
	stop $dpid INT b_exit
	tag a <$out/c.out
	tag b <$out/d.out
	grep -hv '^Tracing' $out/c.err $out/d.err | tag stderr
	echo "@@ end order"
fi
echo "@@ done"
