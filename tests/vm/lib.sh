# Shared by the guest scripts (tests/vm/*.sh), sourced from /mnt/add: tagged
# output lines "@@ TAG payload" for the host-side checkers, and bounded waits.
# shellcheck shell=sh

tag() { sed "s/^/@@ $1 /"; }

# wait_tracing ERRFILE: until vfiotrace has attached (at most 60 s)
wait_tracing() {
	i=0
	while ! grep -q '^Tracing' "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then echo "@@ error vfiotrace did not start: $(cat "$1")"; return 1; fi
		sleep 0.1
	done
}

# stop PID [SIGNAL [TAG]]: send SIGNAL (default $STOPSIG, else INT), wait at most
# 30 s for the exit, print "@@ TAG status" (TAG default exit)
stop() {
	sig=${2:-${STOPSIG:-INT}}
	kill -$sig "$1"
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then echo "@@ error vfiotrace ignored SIG$sig"; kill -9 "$1"; break; fi
		sleep 0.1
	done
	wait "$1"
	echo "@@ ${3:-exit} $?"
}

# run_traced NAME WORKLOAD VFIOTRACE-ARGS...: trace one workload run
run_traced() {
	name=$1 workload=$2
	shift 2
	vfiotrace "$@" >$out/$name.out 2>$out/$name.err &
	pid=$!
	wait_tracing $out/$name.err || { kill -9 $pid; return; }
	echo "@@ begin $name"
	sh -c "$workload" >$out/$name.wl 2>$out/$name.wlerr
	echo "@@ workload_exit $?"
	tag workload <$out/$name.wl
	tag workload_stderr <$out/$name.wlerr
	stop $pid
	tag trace <$out/$name.out
	grep -v '^Tracing' $out/$name.err | tag stderr
	echo "@@ end $name"
}
