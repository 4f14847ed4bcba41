#!/bin/bash
# Packaging checks (tests/run, this machine, as root): make install into a
# DESTDIR tree, the man page through mandoc -T lint and man --warnings, the
# systemd unit through systemd-analyze verify (and its exposure score), make
# deb installed with apt-get and `vfiotrace --version` run from it, then
# purged again. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
result() { # result NAME OK [DETAIL]
	if [ "$2" = 0 ]; then echo "PASS $1"; passed=$((passed + 1))
	else echo "FAIL $1${3:+: $3}"; failed=$((failed + 1)); fi
}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

out=$(make -s install DESTDIR=$tree PREFIX=/usr 2>&1)
result "make install DESTDIR PREFIX=/usr" $? "$out"
missing=
for f in usr/sbin/vfiotrace usr/share/man/man8/vfiotrace.8 lib/systemd/system/vfiotrace.service \
	etc/default/vfiotrace usr/share/doc/vfiotrace/metrics.md usr/share/doc/vfiotrace/prometheus/alerts.yml \
	usr/share/doc/vfiotrace/prometheus/dashboard.json; do
	[ -e "$tree/$f" ] || missing+=" $f"
done
result "install tree has binary, man page, unit, defaults, docs" $([ -z "$missing" ]; echo $?) "missing:$missing"
out=$("$tree/usr/sbin/vfiotrace" --version 2>&1)
result "installed binary runs ($out)" $? "$out"
grep -q '^ExecStart=/usr/sbin/vfiotrace ' "$tree/lib/systemd/system/vfiotrace.service"
result "unit's ExecStart is PREFIX/sbin" $?
out=$(make -s install DESTDIR=$tree/local 2>&1 && grep -q '^ExecStart=/usr/local/sbin/vfiotrace ' "$tree/local/etc/systemd/system/vfiotrace.service")
result "default PREFIX=/usr/local" $? "$out"

out=$(mandoc -T lint -W style packaging/vfiotrace.8 2>&1)
result "mandoc -T lint: man page clean" $? "$out"
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l packaging/vfiotrace.8 2>&1 >/dev/null)
result "man --warnings: no warnings" $([ -z "$out" ]; echo $?) "$out"

# verify resolves ExecStart and Documentation=man:: point both into the tree
mkdir -p $tree/verify
sed "s|^ExecStart=/usr/sbin/|ExecStart=$tree/usr/sbin/|" $tree/lib/systemd/system/vfiotrace.service >$tree/verify/vfiotrace.service
out=$(MANPATH=$tree/usr/share/man systemd-analyze verify $tree/verify/vfiotrace.service 2>&1)
result "systemd-analyze verify vfiotrace.service" $([ -z "$out" ]; echo $?) "$out"
score=$(systemd-analyze security --offline=yes $tree/verify/vfiotrace.service 2>/dev/null |
	sed -nE 's/.*Overall exposure level for vfiotrace.service: ([0-9.]+) .*/\1/p')
result "unit is hardened (systemd-analyze security exposure $score <= 3.0)" \
	$(awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'; echo $?)
grep -q '^CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYSLOG CAP_SYS_RESOURCE$' packaging/vfiotrace.service.in
result "capability bounding set limited to tracing" $?

rm -f build/vfiotrace_*.deb
out=$(make -s deb 2>&1)
deb=$(ls build/vfiotrace_*.deb 2>/dev/null | head -1)
result "make deb" $([ -n "$deb" ]; echo $?) "$out"
if [ -n "$deb" ] && [ "$(id -u)" = 0 ]; then
	if dpkg -s vfiotrace >/dev/null 2>&1; then
		result "vfiotrace not installed before the .deb test" 1 "dpkg -s vfiotrace: installed; apt-get purge vfiotrace first"
	else
		out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" 2>&1)
		result "apt-get install ./$deb" $? "$(tail -3 <<<"$out")"
		out=$(/usr/sbin/vfiotrace --version 2>&1)
		result "vfiotrace --version from the .deb ($out)" $? "$out"
		out=$(dpkg -L vfiotrace)
		grep -q /usr/share/man/man8/vfiotrace.8.gz <<<"$out" && grep -q /lib/systemd/system/vfiotrace.service <<<"$out" &&
			grep -q /usr/share/doc/vfiotrace/prometheus/alerts.yml <<<"$out"
		result "the .deb holds man page, unit and docs" $?
		out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq vfiotrace 2>&1)
		result "apt-get purge vfiotrace" $? "$(tail -3 <<<"$out")"
	fi
elif [ -n "$deb" ]; then
	echo "SKIP .deb install and purge: not root (apt-get needs root)"; skipped=$((skipped + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
