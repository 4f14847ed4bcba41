#!/bin/sh
# Runs inside a `tools/vmtest --bare` guest: lifecycle.sh's bare case N times in
# one boot, to count how often vfiotrace, started before VFIO, attaches fewer
# probes than it should once the VFIO modules are loaded (one by one, as
# vfio-setup does, so that later modules load while vfiotrace re-reads
# /proc/kallsyms for an earlier one). Every wait is bounded.
# usage: modload-race.sh N [VFIOTRACE OPTIONS...]
# prints "@@ want PROBES" (a start with VFIO loaded), "@@ cycle I PROBES REREADS" per
# cycle (REREADS: kallsyms reads repeated because modules changed during one, seen
# with -v), the tracer's stderr of a short cycle as "@@ short_I ...", then
# "@@ cycles DONE SHORT WANT"
set -u
n=${1:-30}
shift
out=/tmp/mr
mkdir -p $out
MODDIR=/lib/modules/$(uname -r)
. "${0%/*}/lib.sh"

# wait_for FILE PATTERN: until a line of FILE matches PATTERN (at most 60 s)
wait_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.1
	done
}

unload_all() {
	for f in $(awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' $MODDIR/vmtest/vfio.order); do
		m=$(basename $f .ko | tr - _)
		grep -q "^$m " /proc/modules && rmmod $m
	done
}

echo "@@ kernel $(uname -r)"
# how many probes a start with VFIO already loaded attaches: what every cycle must attach
vfio-setup load >/dev/null 2>&1
vfiotrace stat "$@" >$out/o 2>$out/e &
pid=$!
wait_for $out/e '^Tracing' || echo "@@ error reference start: $(tr '\n' ' ' <$out/e)"
want=$(sed -n 's/^Tracing.*(\([0-9]*\) probes).*/\1/p' $out/e)
stop $pid INT >/dev/null
echo "@@ want $want"
# text symbols per module once every module is live: what a read must see of each
echo "@@ settled $(awk '$2 ~ /^[tT]$/ && $4 ~ /^\[/ { c[$4]++ } END { for (m in c) printf "%s=%d ", m, c[m] }' /proc/kallsyms | tr -d '[]')"
unload_all

short=0 c=0
while [ $c -lt $n ]; do
	c=$((c + 1))
	rm -f $out/e
	vfiotrace stat "$@" >$out/o 2>$out/e &
	pid=$!
	wait_for $out/e 'waiting for' || { echo "@@ error cycle $c: no wait: $(tr '\n' ' ' <$out/e)"; kill -9 $pid; break; }
	vfio-setup load >/dev/null 2>&1 || echo "@@ error cycle $c: vfio-setup load"
	wait_for $out/e '^Tracing' || { echo "@@ error cycle $c: no Tracing: $(tr '\n' ' ' <$out/e)"; kill -9 $pid; break; }
	got=$(sed -n 's/^Tracing.*(\([0-9]*\) probes).*/\1/p' $out/e)
	# with -v: the kallsyms reads a change of modules made the loader repeat
	echo "@@ cycle $c $got $(grep -o 'kallsyms read [0-9]* times' $out/e | awk '{ n += $3 - 1 } END { print n + 0 }')"
	if [ "$got" != "$want" ]; then
		short=$((short + 1))
		grep -v '^Tracing' $out/e | tag short_$c
	fi
	stop $pid INT >/dev/null
	unload_all
done
echo "@@ cycles $c $short $want"
echo "@@ done"
