#!/bin/sh
# Runs inside a `tools/vmtest --bare` guest (nothing loaded): shows, without
# vfiotrace, that a read of /proc/kallsyms is no snapshot. The kernel finds each
# entry by its index across vmlinux and the modules' tables; a reader holds its
# place in an open file (a shared fd here), reads part of a module, lets the
# kernel change a table, reads the rest, and compares with a settled read.
# prints "@@ tear CASE ..." lines
set -u
MODDIR=/lib/modules/$(uname -r)
t=/tmp/tear
mkdir -p $t

# state_of MODULE: st= its size and state in /proc/modules, or "gone" (no fork)
state_of() {
	st=gone
	while read -r name size refs users state rest; do
		[ "$name" = "$1" ] && { st="$size $state"; return; }
	done </proc/modules
}

# wait_state MODULE PATTERN: until state_of matches (bounded)
wait_state() {
	i=0
	while :; do
		state_of $1
		case $st in $2) return 0;; esac
		i=$((i + 1))
		[ $i -gt 200000 ] && return 1
	done
}

# missing MODULE SETTLED READ: how many of MODULE's names in SETTLED the READ lacks, and some
missing() {
	awk -v m="[$1]" 'FNR == 1 { f++ } $4 != m { next } f == 1 { want[$3] = 1; next } { seen[$3] = 1 }
		END { for (n in want) if (!(n in seen)) { c++; if (c <= 10) l = l " " n }
		      for (n in want) w++; printf "%d of %d:%s\n", c + 0, w + 0, l }' "$2" "$3"
}

echo "@@ kernel $(uname -r)"
cat /proc/kallsyms >$t/k0
# bytes before the first module line: where the newest module's entries begin
# (the whole text when nothing is loaded: a new module's entries come right after vmlinux's)
first=$(awk 'index($0, "\t[") { print off; exit } { off += length($0) + 1 } END { if (!NR || !index($0, "\t[")) print off }' $t/k0 | head -1)
echo "@@ tear vmlinux_bytes $first"

insmod $MODDIR/kernel/drivers/vfio/vfio.ko

# (1) a module's init returns during the read (its table shrinks to the core
# symbols): the read sits in the newest module's entries (e1000e, whose init
# probes its NIC: long enough to be caught from a shell) while its init runs
exec 3</proc/kallsyms
dd bs=65536 count=$first iflag=count_bytes,fullblock <&3 >/dev/null 2>&1
modprobe e1000e &
ipid=$!
wait_state e1000e '* Loading' || echo "@@ tear e1000e never seen loading"
dd bs=16384 count=1 iflag=fullblock <&3 >$t/q1 2>/dev/null
state_of e1000e
during=$st
wait $ipid
state_of e1000e
after=$st
cat <&3 >$t/q2
exec 3<&-
cat /proc/kallsyms >$t/k2
cat $t/q1 $t/q2 >$t/read2
echo "@@ tear e1000e_init state_during_first_part [$during] after [$after]"
echo "@@ tear e1000e_init first_part_lines $(grep -c '	\[e1000e\]$' $t/q1)"
echo "@@ tear e1000e_init missing_from_read $(missing e1000e $t/k2 $t/read2)"

# (2) a module listed before vfio (loaded after it) goes while the read is a few
# entries before vfio_unregister_group_dev
cat /proc/kallsyms >$t/k3
b=$(awk '$3 == "vfio_unregister_group_dev" && $4 == "[vfio]" { print s[NR - 5]; exit }
	{ s[NR] = off; off += length($0) + 1 }' $t/k3)
exec 3</proc/kallsyms
dd bs=65536 count=$b iflag=count_bytes,fullblock <&3 >$t/r1 2>/dev/null
rmmod e1000e
echo "@@ tear rmmod rmmod_e1000e $?"
cat <&3 >$t/r2
exec 3<&-
cat $t/r1 $t/r2 >$t/read3
echo "@@ tear rmmod settled_has_unregister $(grep -c ' vfio_unregister_group_dev	\[vfio\]' $t/k3) read_has_unregister $(grep -c ' vfio_unregister_group_dev	\[vfio\]' $t/read3)"
echo "@@ tear rmmod missing_from_read $(missing vfio $t/k3 $t/read3)"

rmmod vfio
for m in ptp pps_core; do grep -q "^$m " /proc/modules && rmmod $m; done
echo "@@ tear loaded_after $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
