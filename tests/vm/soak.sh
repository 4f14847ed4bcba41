#!/bin/sh
# Runs inside a tools/vmtest guest (normal boot): a soak of 2,000 attach cycles,
# each opening and closing every device fd, traced by two vfiotrace instances
# at once, run as 20 workload runs of 100 attaches; the resident memory (VmRSS,
# kB) of both instances before the first run and after each ("@@ rss RUN A B");
# then two short instances stopped in the other order. Prints "@@ TAG payload"
# lines for tests/vm/check_soak.py. Every wait is bounded.
set -u
out=/tmp/soak
mkdir -p $out
. "${0%/*}/lib.sh"

rss() { grep VmRSS /proc/$1/status 2>/dev/null | tr -s " " | cut -d" " -f2; }

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
	echo "@@ rss 0 $(rss $apid) $(rss $bpid)"
	run=0
	while [ $run -lt 20 ]; do
		run=$((run + 1))
		vfio-workload -n 100 -g $first >$out/w 2>$out/w.err
		echo "@@ workload_exit $?"
		tag workload <$out/w
		tag workload_stderr <$out/w.err
		echo "@@ rss $run $(rss $apid) $(rss $bpid)"
	done
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
