# Shared by the guest scripts (tests/vm/*.sh), sourced from /mnt/add: tagged
# output lines "@@ TAG payload" for the host-side checkers, and bounded waits.
# shellcheck shell=sh

tag() { sed "s/^/@@ $1 /"; }

# tag_file TAG FILE: FILE's lines as TAG; a missing FILE (its writer died first) is an
# "@@ error", not the end of the script (a failed redirection ends sh)
tag_file() {
	if [ -f "$2" ]; then tag "$1" <"$2"; else echo "@@ error no file $2 (for @@ $1)"; fi
}

# wait_tracing ERRFILE [PID]: until vfiotrace has attached (at most 60 s; at once
# if PID, the vfiotrace started, has exited without attaching)
wait_tracing() {
	i=0
	while ! grep -q '^Tracing' "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || { [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; }; then
			echo "@@ error vfiotrace did not start: $(cat "$1" | tr '\n' ' ')"
			return 1
		fi
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
		if [ $i -gt 300 ]; then
			echo "@@ error vfiotrace ignored SIG$sig for 30 s"
			stuck "$1"
			kill -9 "$1"
			# a task waiting in the kernel (D state) outlives SIGKILL: never wait for it unbounded
			i=0
			while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
			kill -0 "$1" 2>/dev/null && { echo "@@ error vfiotrace still there 10 s after SIGKILL"; return; }
			break
		fi
		sleep 0.1
	done
	wait "$1"
	echo "@@ ${3:-exit} $?"
}

# stuck PID: where PID and the RCU Tasks kthreads wait, and the kernel's blocked tasks,
# as "@@ stuck ..." lines (what tells a lost signal from a grace period that never ends)
stuck() {
	echo "@@ stuck state $(grep State /proc/$1/status 2>/dev/null | tr -s '\t ' ' ')"
	sed 's/^/@@ stuck stack /' /proc/$1/stack 2>/dev/null
	for t in /proc/[0-9]*; do
		case $(cat $t/comm 2>/dev/null) in
		rcu_tasks*) echo "@@ stuck kthread $(cat $t/comm)"; sed 's/^/@@ stuck stack /' $t/stack 2>/dev/null;;
		esac
	done
	echo w >/proc/sysrq-trigger 2>/dev/null
	dmesg | tail -80 | sed 's/^/@@ stuck dmesg /'
}

# workload TAG COMMAND: run COMMAND (a shell string) to its end and print its
# exit status, stdout and stderr as "@@ TAG_exit N", "@@ TAG ..." and "@@ TAG_stderr ..."
workload() {
	wtag=$1
	sh -c "$2" >$out/wl.$wtag 2>$out/wl.$wtag.err
	echo "@@ ${wtag}_exit $?"
	tag $wtag <$out/wl.$wtag
	tag ${wtag}_stderr <$out/wl.$wtag.err
}

# what is hooked in VFIO/IOMMU code right now: kprobes, ftrace users (fentry
# trampolines among them), tracefs kprobe events, pinned BPF objects
hooks_now() {
	grep -E 'vfio|iommu' /sys/kernel/debug/kprobes/list 2>/dev/null | sed 's/^/kprobes: /'
	grep -E 'vfio|iommu' /sys/kernel/tracing/enabled_functions 2>/dev/null | sed 's/^/ftrace: /'
	sed 's/^/kprobe_events: /' /sys/kernel/tracing/kprobe_events 2>/dev/null
	ls /sys/fs/bpf 2>/dev/null | sed 's/^/pinned: /'
}

# run_traced NAME WORKLOAD VFIOTRACE-ARGS...: trace one workload run; with
# HOOKS=1, what the kernel lists as hooked while tracing ("@@ hooks ...")
run_traced() {
	name=$1 wl=$2
	shift 2
	if [ -n "${HOOKS:-}" ]; then
		# the kernel's lists must show this tracer's hooks only (an earlier one's go at its exit)
		i=0
		while [ -n "$(hooks_now)" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
		[ -z "$(hooks_now)" ] || echo "@@ error hooked before $name started: $(hooks_now | tr '\n' ' ')"
	fi
	vfiotrace "$@" >$out/$name.out 2>$out/$name.err &
	pid=$!
	wait_tracing $out/$name.err $pid || { kill -9 $pid 2>/dev/null; wait $pid; return; }
	echo "@@ begin $name"
	if [ -n "${HOOKS:-}" ]; then
		hooks_now | tag hooks
		# the functions on fprobes (kprobe.multi and kprobe.session links), whatever their names
		fprobed=$(grep -c fprobe /sys/kernel/tracing/enabled_functions 2>/dev/null)
		echo "@@ fprobed ${fprobed:-0}"
	fi
	workload workload "$wl"
	stop $pid
	tag trace <$out/$name.out
	grep -v '^Tracing' $out/$name.err | tag stderr
	echo "@@ end $name"
}

# cgroup2: the unified hierarchy at $CG, mounted if the guest has none there yet
cgroup2() {
	CG=/sys/fs/cgroup
	[ -e $CG/cgroup.procs ] || mount -t cgroup2 none $CG || echo "@@ error cannot mount cgroup2 on $CG"
}

# in_cgroup DIR NAME COMMAND...: COMMAND exec-ed (the same pid, for $!) inside the
# cgroup DIR (created); the cgroup path it runs in, as the kernel shows it, in $out/NAME.cgroup
in_cgroup() {
	dir=$1 file=$out/$2.cgroup
	shift 2
	mkdir -p "$dir" || echo "@@ error cannot create the cgroup $dir"
	# shellcheck disable=SC2016
	exec sh -c 'echo $$ >"$1/cgroup.procs" && sed -n "s/^0:://p" /proc/self/cgroup >"$2" && shift 2 &&
		exec "$@"' sh "$dir" "$file" "$@"
}

# json_str: stdin (one line) as the inside of a JSON string
json_str() {
	sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n'
}
