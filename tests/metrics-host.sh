#!/bin/bash
# Metrics checks that need no VFIO (run by tests/run on this machine): the
# option errors of --prometheus/--textfile, the renderer's sample exposition
# (written by the unit tests) through `promtool check metrics`, the HTTP
# server against hostile clients (tests/http/hostile.py).
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
result() { # result NAME OK [DETAIL]
	if [ "$2" = 0 ]; then echo "PASS $1"; passed=$((passed + 1))
	else echo "FAIL $1${3:+: $3}"; failed=$((failed + 1)); fi
}
cli() { # cli NAME WANT_RC PATTERN ARGS...: exit status and a one-line message
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$(build/vfiotrace "$@" 2>&1 >/dev/null); rc=$?
	[ $rc = "$want" ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -qE -- "$pat" <<<"$out"
	result "cli $name" $? "exit $rc, stderr: $out"
}
cli "--prometheus no port" 2 "invalid --prometheus 'x': expected \[ADDR\]:PORT" --prometheus x
cli "--prometheus bad address" 2 "'1.2.3' is not an IPv4" --prometheus 1.2.3:9400
cli "--prometheus bad port" 2 "port must be a number from 1 to 65535" --prometheus :65536
cli "--prometheus with snoop" 2 "snoop has no metrics" snoop --prometheus :9400
cli "--textfile missing directory" 2 "--textfile /nonexistent/v.prom: directory /nonexistent is not writable" \
	--textfile /nonexistent/v.prom
ro=$(mktemp -d); chmod 555 "$ro"
# root ignores the mode bits: a read-only bind mount is unwritable even for root
if mount --bind -o ro "$ro" "$ro" 2>/dev/null || mount -o remount,ro,bind "$ro" 2>/dev/null; then
	cli "--textfile read-only directory" 2 "directory $ro is not writable \(Read-only" --textfile "$ro/v.prom"
	umount "$ro"
else
	echo "SKIP --textfile read-only directory: cannot bind-mount read-only here"; skipped=$((skipped + 1))
fi
rmdir "$ro"
# port in use: a runtime error (1), found before BPF is loaded
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(5)' $port &
holder=$!
for i in $(seq 50); do ss -ltn "sport = :$port" | grep -q LISTEN && break; sleep 0.1; done
cli "--prometheus port in use" 1 "--prometheus :$port: cannot listen: Address already in use" --prometheus :$port
kill $holder; wait $holder 2>/dev/null
sample=build/test-logs/unit-sample.prom
if [ -s $sample ]; then
	out=$(promtool check metrics <$sample 2>&1)
	result "promtool check metrics accepts the renderer's sample" $? "$out"
else
	result "renderer sample exists ($sample, from the unit tests)" 1
fi
# docs/prometheus: alert rules and their unit tests, the scrape config, the dashboard's expressions
out=$(cd docs/prometheus && promtool check rules alerts.yml 2>&1 && promtool test rules alerts_test.yml 2>&1)
result "promtool test rules docs/prometheus/alerts_test.yml" $? "$out"
out=$(cd docs/prometheus && promtool check config scrape-config.yml 2>&1)
result "promtool check config docs/prometheus/scrape-config.yml" $? "$out"
out=$(python3 docs/prometheus/dashboard-rules.py docs/prometheus/dashboard.json >build/test-logs/dashboard-rules.yml &&
	promtool check rules build/test-logs/dashboard-rules.yml 2>&1)
result "promtool parses every dashboard panel expression" $? "$out"
# the HTTP server alone against hostile clients
if [ -x build/tests/httpd ]; then
	python3 tests/http/hostile.py build/tests/httpd >build/test-logs/hostile.log 2>&1
	cat build/test-logs/hostile.log | grep -v '^PASS' | grep -v 'passed, .* failed'
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' build/test-logs/hostile.log | tail -1)
	if [ -n "$line" ]; then
		passed=$((passed + ${line%% passed*})); f=${line#*passed, }; failed=$((failed + ${f%% failed*}))
	else
		result "hostile clients (tests/http/hostile.py) ran" 1 "$(tail -3 build/test-logs/hostile.log)"
	fi
else
	result "build/tests/httpd built (make build/tests/httpd)" 1
fi
echo "$passed passed, $failed failed, $skipped skipped"
