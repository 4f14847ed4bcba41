#!/bin/bash
# The bad-input matrix (tests/run, on the build machine: no kprobes, no VFIO).
# tests/badinput.sh BINARY...: every option with a missing, malformed, negative,
# zero and huge value, unknown commands and options, conflicting options, too
# many positionals, bad --btf, --prometheus and --textfile values, and no
# privileges. Each case asserts the exit status (2 usage, 1 runtime), exactly
# one line on stderr that names what is wrong (the option, value or path) and
# says what to do, no signal and no sanitizer report (exit 99, see
# tests/sanitize/defaults.c), no hang, and no file left behind. Values that are
# valid get past the checks and fail at runtime here (1): nothing to trace.
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
holder=
cleanup() {
	[ -n "$holder" ] && kill $holder 2>/dev/null
	mountpoint -q "$tmp/ro" && umount "$tmp/ro"
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/cwd" "$tmp/out" "$tmp/fx/dir.prom" "$tmp/ro"
chmod 755 "$tmp"; chmod 777 "$tmp/out"	# for the not-root cases
: >"$tmp/fx/empty"
echo "not BTF" >"$tmp/fx/text"
out=$tmp/out fx=$tmp/fx
# "what to do" in a message: one of these
todo='use |give |load |expected|see --help|choose|create|drop |must be|must come first|usage:|run as|leave it empty'

result() { # result NAME OK [DETAIL]
	if [ "$2" = 0 ]; then echo "PASS $1"; passed=$((passed + 1))
	else echo "FAIL $1${3:+: $3}"; failed=$((failed + 1)); fi
}

# bad WANT_RC NEEDLE ARGS...: one run of $bin in an empty directory
bad() {
	local want=$1 needle=$2 err rc n why="" args left
	shift 2
	err=$(cd "$tmp/cwd" && timeout 20 "${as[@]}" "$bin" "$@" 2>&1 >/dev/null)
	rc=$?
	n=$(printf '%s' "$err" | grep -c '')
	case $rc in
	124) why+=", hung (killed after 20 s)";;
	99) why+=", sanitizer report";;
	12[5-9]|1[3-9][0-9]|2[0-9][0-9]) why+=", died of signal $((rc - 128))";;
	esac
	[ "$rc" = "$want" ] || why+=", exit $rc (want $want)"
	[ "$n" = 1 ] || why+=", $n stderr lines"
	grep -qF -- "$needle" <<<"$err" || why+=", does not name \"$needle\""
	grep -qE -- "$todo" <<<"$err" || why+=", says nothing to do"
	left=$(find "$tmp/cwd" "$tmp/out" -mindepth 1 2>/dev/null)
	[ -z "$left" ] || why+=", left $(echo $left)"
	rm -rf "$tmp/cwd"/* "$tmp/out"/*
	args="$*"
	result "$name [$(basename "$bin")] vfiotrace ${args//$'\n'/\\n}" "$([ -z "$why" ]; echo $?)" "${why#, }; stderr: $err"
}

usage() { bad 2 "$@"; }	# usage NEEDLE ARGS...
runtime() { bad 1 "$@"; }	# runtime NEEDLE ARGS...: past the checks, fails at runtime

matrix() {
	local o
	# numeric options: missing, malformed, negative, zero, huge (and the largest accepted)
	for o in -d --duration -g --group -p --pid; do
		name="missing value"; usage "$(case $o in -d|--duration) echo -d/--duration;; -g|--group) echo -g/--group;; *) echo -p/--pid;; esac)" stat $o
		name="malformed value"
		usage "'abc'" stat $o abc
		usage "'5s'" stat $o 5s
		usage "'1.5'" stat $o 1.5
		usage "'0x10'" stat $o 0x10
		usage "' 5'" stat $o " 5"
		usage "'+5'" stat $o +5
		usage "''" stat $o ""
		usage "'1?2'" stat $o $'1\n2'
		name="negative value"; usage "'-1'" stat $o -1
		name="huge value"
		usage "'99999999999999999999'" stat $o 99999999999999999999
		usage "'4294967296'" stat $o 4294967296
	done
	name="zero value"
	usage "'0'" stat -d 0
	usage "'0'" stat -p 0
	name="just above the range"
	usage "'1000001'" stat -d 1000001
	usage "'2147483648'" stat -g 2147483648
	usage "'2147483648'" stat -p 2147483648
	name="valid edge value, fails at runtime (nothing to trace here)"
	runtime "vfio" stat -g 0
	runtime "vfio" stat -d 1000000 -g 2147483647 -p 2147483647 86400 1000000000
	runtime "vfio" stat -d 1

	# --mode, --btf
	name="--mode"
	usage "--mode" stat --mode
	usage "'fast'" stat --mode fast
	usage "'AUTO'" stat --mode AUTO
	usage "''" stat --mode ""
	usage "'-1'" stat --mode -1
	name="--btf"
	usage "--btf" stat --btf
	usage "''" stat --btf ""
	usage "$fx/missing" stat --btf "$fx/missing"
	usage "$fx/new?line" stat --btf "$fx/new"$'\n'"line"
	usage "$fx/empty" stat --btf "$fx/empty"
	usage "$fx/text" stat --btf "$fx/text"
	usage "$fx" stat --btf "$fx"

	# --prometheus
	name="--prometheus"
	usage "--prometheus" stat --prometheus
	usage "''" stat --prometheus ""
	usage "'9400'" stat --prometheus 9400
	usage "':abc'" stat --prometheus :abc
	usage "':0'" stat --prometheus :0
	usage "':65536'" stat --prometheus :65536
	usage "':-1'" stat --prometheus :-1
	usage "':+9400'" stat --prometheus :+9400
	usage "':99999999999999999999'" stat --prometheus :99999999999999999999
	usage "':'" stat --prometheus :
	usage "'1.2.3'" stat --prometheus 1.2.3:9400
	usage "'localhost'" stat --prometheus localhost:9400
	usage "'[zz]'" stat --prometheus "[zz]:9400"
	usage "'[::1'" stat --prometheus "[::1:9400"
	usage "address too long" stat --prometheus "$(printf '1%.0s' $(seq 80)):9400"
	name="--prometheus port in use"
	runtime ":$port: cannot listen" stat --prometheus ":$port"

	# --ring-buffer
	name="--ring-buffer"
	usage "--ring-buffer" snoop --ring-buffer
	for v in "" x 0 -4K 4KB 1T 2G 99999999999999999999 " 4K" "+4K"; do
		usage "'$v'" snoop --ring-buffer "$v"
	done
	usage "stat has none" stat --ring-buffer 4K
	usage "hist has none" hist --ring-buffer 4K
	name="--ring-buffer valid, fails at runtime (nothing to trace here)"
	runtime "vfio" snoop --ring-buffer 4K
	runtime "vfio" refs --ring-buffer 1G
	# --max-groups, --max-inflight: table capacities
	for o in --max-groups --max-inflight; do
		name="$o"
		usage "$o" stat $o
		for v in "" x 0 -1 65537 99999999999999999999 " 1" "+1" 1.5; do
			usage "'$v'" stat $o "$v"
		done
		name="$o valid, fails at runtime (nothing to trace here)"
		runtime "vfio" snoop $o 1
		runtime "vfio" refs $o 65536
	done
	# --textfile
	name="--textfile"
	usage "--textfile" stat --textfile
	usage "''" stat --textfile ""
	usage "'$out/v.txt'" stat --textfile "$out/v.txt"
	usage "'$out/'" stat --textfile "$out/"
	usage "'$out/.prom'" stat --textfile "$out/.prom"
	usage "$tmp/missing" stat --textfile "$tmp/missing/v.prom"
	usage "$fx/dir.prom is a directory" stat --textfile "$fx/dir.prom"
	if [ -n "$ro_ok" ]; then
		name="--textfile read-only directory"
		usage "$tmp/ro is not writable" stat --textfile "$tmp/ro/v.prom"
	fi
	name="--textfile valid, fails at runtime (nothing to trace here): no file left"
	runtime "vfio" stat --textfile "$out/v.prom" 1
	name="exporter started, then a runtime failure: it is stopped, no file left"
	runtime "vfio" stat --prometheus "127.0.0.1:$free" --textfile "$out/v.prom" 1

	# commands, options, positionals
	name="--vm"
	usage "invalid --vm ''" stat --vm ''
	usage "control byte (\\x0a" snoop --vm $'web\n01'
	usage "control byte (\\x01" refs --vm $'\x01'
	usage "give one of them" stat --vm web-01 -p 1
	usage "--vm does not apply" probes --vm web-01
	usage "--vm does not apply" diagnose --vm web-01
	usage "needs a value" hist --vm
	usage "more than a VM name" stat --vm "$(head -c 300 /dev/zero | tr '\0' x)"
	name="--by"
	usage "invalid --by 'pid'" stat --by pid
	usage "use stat --by vm" snoop --by vm
	name="--vm valid, fails at runtime (nothing to trace here)"
	runtime "vfio" stat --vm web-01 --by vm
	runtime "vfio" snoop --vm 'web 01 "q"'
	name="unknown command"
	usage "'stats'" stats
	usage "'STAT'" STAT
	usage "''" ""
	usage "'trace'" trace -j
	name="command after options"
	usage "'stat'" -j stat
	usage "'probes'" 5 probes
	name="unknown option"
	usage "'--frobnicate'" stat --frobnicate
	usage "'-x'" stat -x
	usage "'-x'" stat -jx
	usage "'--frobnicate=1'" --frobnicate=1
	name="value for an option without one"
	usage "'--json=1'" stat --json=1
	usage "'--dma=yes'" stat --dma=yes
	name="INTERVAL and COUNT"
	usage "'0'" stat 0
	usage "'-1'" stat -1
	usage "'abc'" stat abc
	usage "'1.5'" stat 1.5
	usage "'86401'" stat 86401
	usage "'99999999999999999999'" hist 99999999999999999999
	usage "'0'" stat 5 0
	usage "'x'" stat 5 x
	usage "'1000000001'" stat 5 1000000001
	name="too many positionals"
	usage "'3'" stat 1 2 3
	usage "'c'" hist 1 2 c d
	name="conflicting options"
	usage "snoop" snoop 5
	usage "probes" probes 5
	usage "diagnose" diagnose 5 1
	usage "snoop" snoop --prometheus :9400
	usage "probes" probes --textfile "$out/v.prom"
	usage "diagnose" diagnose --prometheus :9400
	usage "-d/--duration" diagnose -d 5
	usage "--btf" diagnose --btf /sys/kernel/btf/vmlinux
	usage "--dma" diagnose --dma
	usage "--mode" diagnose --mode kprobe
	usage "-g/--group" probes -g 1
	usage "-p/--pid" probes -p 1
	usage "-d/--duration" probes -d 5

	# privileges: checked before the kernel is touched
	name="not root (nobody, no capabilities)"
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	runtime "missing capability" stat
	runtime "missing capability" stat --prometheus :9400 --textfile "$out/v.prom"
	as=()
}

# a port held by another listener
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(600)' $port &
holder=$!
free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for i in $(seq 50); do ss -ltn "sport = :$port" | grep -q LISTEN && break; sleep 0.1; done
# root ignores mode bits: a read-only bind mount is unwritable even for root
ro_ok=
if mount --bind -o ro "$tmp/ro" "$tmp/ro" 2>/dev/null || mount -o remount,ro,bind "$tmp/ro" 2>/dev/null; then
	ro_ok=1
else
	echo "SKIP --textfile read-only directory: cannot bind-mount read-only here"; skipped=$((skipped + 1))
fi

for b in "${@:-build/vfiotrace}"; do
	bin=$(realpath "$b")
	if [ ! -x "$bin" ]; then
		result "binary $b exists" 1 "build it first"
		continue
	fi
	as=()
	matrix
done
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
