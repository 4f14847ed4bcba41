#!/bin/sh
# Runs inside a tools/vmtest guest: drives real VFIO clients under vfiotrace
# and prints, per scenario, the ground truth (sysfs, the workload's own JSON)
# and what vfiotrace reported, as tagged lines "@@ TAG payload" that
# tests/vm/check.py compares on the host. Every wait here is bounded.
# usage: guest.sh normal|eperm|qemu|sanitize (qemu and sanitize need a --hostroot guest)
# sanitize: the normal scenarios run by build/sanitize/vfiotrace, given with --add
# (ASan+UBSan, dynamically linked: the host's libraries come with the host root); every
# sanitizer report is kept in $out/san and printed as "@@ sanitizer FILE: LINE".

set -u
mode=${1:-normal}
out=/tmp/vt
mkdir -p $out

. "${0%/*}/lib.sh"

if [ "$mode" = sanitize ]; then
	mode=normal
	mkdir -p $out/sanbin $out/san
	chmod 1777 $out/san	# the unprivileged scenario's reports too
	cp "${0%/*}/vfiotrace" $out/sanbin/ || echo "@@ error no vfiotrace among the --add files (tests/run adds build/sanitize/vfiotrace)"
	export PATH=$out/sanbin:$PATH
	export ASAN_OPTIONS=log_path=$out/san/asan UBSAN_OPTIONS=log_path=$out/san/ubsan
	echo "@@ sanitizer_binary $(command -v vfiotrace) $(grep -c __asan_report_load $out/sanbin/vfiotrace)"
	trap 'for f in $out/san/*; do [ -e "$f" ] && sed "s|^|@@ sanitizer ${f##*/}: |" "$f"; done; echo "@@ sanitizer_done"' EXIT
fi

echo "@@ kernel $(uname -r)"
for g in /sys/kernel/iommu_groups/*; do
	n=${g##*/}
	[ -e /dev/vfio/$n ] || continue
	for d in $g/devices/*; do
		drv=$(basename "$(readlink $d/driver 2>/dev/null)" 2>/dev/null)
		echo "@@ sysfs $n ${d##*/} $(basename "$(readlink $d/subsystem)") ${drv:--}"
	done
done
for f in vfio_iommu_type1_attach_group vfio_device_put vfio_device_put_registration \
	 iommu_domain_alloc iommu_paging_domain_alloc iommu_paging_domain_alloc_flags \
	 vfio_device_try_get_registration vfio_group_get_device vfio_device_get_from_dev \
	 vfio_group_fops_unl_ioctl vfio_unregister_group_dev \
	 vfio_iommu_type1_ioctl vfio_pin_pages_remote vfio_iommu_type1_release register_fprobe_ips \
	 bpf_session_is_return; do
	grep -E " $f(\s|$)" /proc/kallsyms | head -1 | awk '{print "@@ kallsyms", $3, ($4 == "" ? "vmlinux" : $4)}' | tr -d '[]'
done

# module BTF: what decides where fentry is possible (vmlinux always has BTF)
[ -e /sys/kernel/btf/vfio ] && echo "@@ btf vfio yes" || echo "@@ btf vfio no"
[ -e /sys/kernel/btf/vfio_iommu_type1 ] && echo "@@ btf type1 yes" || echo "@@ btf type1 no"
first=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | head -1)

echo "@@ begin probes"
vfiotrace probes -j | tag trace
vfiotrace probes -j --mode kprobe | tag kprobe
vfiotrace probes -j --dma | tag dmaprobes
vfiotrace probes -j --mode fentry >$out/probes_fentry.out 2>$out/probes_fentry.err
echo "@@ fentry_exit $?"
tag fentry <$out/probes_fentry.out
tag fentry_stderr <$out/probes_fentry.err
echo "@@ end probes"

if [ "$mode" = normal ]; then
	# CO-RE against the cut-down BTF vfiotrace hands libbpf, and against libbpf's own
	# search of all kernel BTF: every relocation must come out the same
	echo "@@ begin core"
	for args in "" "--dma"; do
		for how in cut full; do
			if [ $how = full ]; then export VFIOTRACE_FULL_CORE_SEARCH=1; fi
			vfiotrace probes -vv $args 2>&1 >/dev/null |
				grep -E 'CO-RE:|relo #[0-9]+: (patched|poison|substitut|no matching)' | tag "$how${args:+_dma}"
			unset VFIOTRACE_FULL_CORE_SEARCH
		done
	done
	echo "@@ end core"
	# the table's functions looked up by name (6.2+: user/kernel/ksym_lookup.c) or listed by the
	# kernel's iterator (6.0, 6.1: user/kernel/ksym_iter.c) resolve exactly
	# as a read of /proc/kallsyms does (VFIOTRACE_KALLSYMS_READ=1), with --dma's rows too
	echo "@@ begin ksyms"
	for how in lookup read; do
		if [ $how = read ]; then export VFIOTRACE_KALLSYMS_READ=1; fi
		vfiotrace probes -j --dma -v 2>$out/ksyms.err | tag "ks_$how"
		grep -E 'side by side|kallsyms:|bpf_loop' $out/ksyms.err | tag "ks_${how}_said"
		unset VFIOTRACE_KALLSYMS_READ
	done
	echo "@@ end ksyms"
fi

# VM names beside libvirt's QEMU (the qemu set): the workload started as Proxmox starts
# QEMU (-id VMID, in qemu.slice/VMID.scope), in a Kubernetes pod's container scope (a pod
# UID and a container id made here), and once exiting before vfiotrace can read it
# (vfiotrace stopped meanwhile). What each was given: "@@ vm_setup NAME {json}".
vm_names() {
	lib=${0%/*}/lib.sh
	vmwl="vfio-workload -n 1 -s 2 -g $first --dma 1048576"	# not wl: run_traced's
	vmid=104
	run_traced proxmox ". $lib; out=$out; in_cgroup '$CG/qemu.slice/$vmid.scope' proxmox $vmwl -- -id $vmid" \
		stat -j --dma
	printf '%s\n' "@@ vm_setup proxmox {\"args\":[\"-id\",\"$vmid\"],\"cgroup\":\"$(json_str <$out/proxmox.cgroup)\"}"
	uid=$(cat /proc/sys/kernel/random/uuid)
	cid=$(cat /proc/sys/kernel/random/uuid /proc/sys/kernel/random/uuid | tr -d '\n-')
	pod=$CG/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$(echo $uid | tr - _).slice
	run_traced kube ". $lib; out=$out; in_cgroup '$pod/cri-containerd-$cid.scope' kube $vmwl" stat -j --dma
	printf '%s\n' "@@ vm_setup kube {\"pod\":\"$uid\",\"container\":\"$cid\",\"cgroup\":\"$(json_str <$out/kube.cgroup)\"}"
	vfiotrace stat -j --dma >$out/gone.out 2>$out/gone.err &
	gpid=$!
	wait_tracing $out/gone.err $gpid
	echo "@@ begin gone"
	kill -STOP $gpid
	workload workload "vfio-workload -n 1 -g $first --dma 1048576"
	kill -CONT $gpid
	stop $gpid
	tag trace <$out/gone.out
	grep -v '^Tracing' $out/gone.err | tag stderr
	echo "@@ end gone"
	vm_by
}

# bg_workload TAG COMMAND: COMMAND (a shell string) started in the background, its output in
# $out/wl.TAG; bg_done TAG PID: at most 60 s for its end, then "@@ TAG_exit N" and its output
bg_workload() { sh -c "$2" >$out/wl.$1 2>$out/wl.$1.err & }
bg_done() {
	i=0
	while kill -0 "$2" 2>/dev/null && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
	kill -0 "$2" 2>/dev/null && { echo "@@ error workload $1 still running after 60 s"; kill -9 "$2"; }
	wait "$2"
	echo "@@ ${1}_exit $?"
	tag "$1" <$out/wl.$1
	tag "${1}_stderr" <$out/wl.$1.err
}

# stat --by vm and --vm NAME (issue 26): web-01 (QEMU's -name, a libvirt-style scope) on the first
# group and VM 104 (Proxmox's -id and scope) on the second at the same time, then the pod's
# process on the first group; stat -j --by vm --dma, snoop -j --vm web-01, stat -j --dma --vm web-01
# and refs -j --vm 104 trace all three. Then a bad --vm, refused.
vm_by() {
	lib=${0%/*}/lib.sh
	second=$(ls /dev/vfio | grep -E '^[0-9]+$' | sort -n | sed -n 2p)
	webscope="$CG/machine.slice/machine-qemu\\x2d2\\x2dweb\\x2d01.scope"
	vfiotrace stat -j --by vm --dma >$out/vmby.out 2>$out/vmby.err &
	bpid=$!
	vfiotrace snoop -j --vm web-01 >$out/vmsnoop.out 2>$out/vmsnoop.err &
	spid=$!
	vfiotrace stat -j --dma --vm web-01 >$out/vmstat.out 2>$out/vmstat.err &
	vspid=$!
	vfiotrace refs -j --vm 104 >$out/vmrefs.out 2>$out/vmrefs.err &
	rfpid=$!
	wait_tracing $out/vmby.err $bpid
	wait_tracing $out/vmsnoop.err $spid
	wait_tracing $out/vmstat.err $vspid
	wait_tracing $out/vmrefs.err $rfpid
	echo "@@ begin vmby"
	bg_workload vmby_web ". $lib; out=$out; in_cgroup '$webscope' vmby_web vfio-workload -n 1 -s 2 -g $first --dma 1048576 -- -name guest=web-01,debug-threads=on"
	w1=$!
	bg_workload vmby_pve ". $lib; out=$out; in_cgroup '$CG/qemu.slice/104.scope' vmby_pve vfio-workload -n 1 -s 2 -g $second --dma 2097152 -- -id 104"
	w2=$!
	bg_done vmby_web $w1
	bg_done vmby_pve $w2
	uid=$(cat /proc/sys/kernel/random/uuid)
	cid=$(cat /proc/sys/kernel/random/uuid /proc/sys/kernel/random/uuid | tr -d '\n-')
	pod=$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(echo $uid | tr - _).slice
	bg_workload vmby_kube ". $lib; out=$out; in_cgroup '$pod/cri-containerd-$cid.scope' vmby_kube vfio-workload -n 1 -s 2 -g $first --dma 4194304"
	bg_done vmby_kube $!
	stop $spid INT snoop_exit
	stop $vspid INT vmstat_exit
	stop $rfpid INT vmrefs_exit
	stop $bpid
	tag trace <$out/vmby.out
	grep -v '^Tracing' $out/vmby.err | tag stderr
	tag snoop <$out/vmsnoop.out
	grep -v '^Tracing' $out/vmsnoop.err | tag snoop_stderr
	tag vmstat <$out/vmstat.out
	grep -v '^Tracing' $out/vmstat.err | tag vmstat_stderr
	tag vmrefs <$out/vmrefs.out
	grep -v '^Tracing' $out/vmrefs.err | tag vmrefs_stderr
	echo "@@ end vmby"
	printf '%s\n' "@@ vm_setup vmby {\"web\":\"$(json_str <$out/vmby_web.cgroup)\",\"pve\":\"$(json_str <$out/vmby_pve.cgroup)\",\"pod\":\"$uid\",\"container\":\"$cid\"}"
	vmbad --vm=
	vmbad snoop --vm "$(printf 'web\n01')"
	vmbad stat --vm web-01 -p 1
	vmbad probes --vm web-01
}

# vmbad ARGS...: vfiotrace refusing ARGS: "@@ vmbad EXIT STDERR-LINES STDOUT-BYTES STDERR"
vmbad() {
	vfiotrace "$@" >$out/vmbad.out 2>$out/vmbad.err
	echo "@@ vmbad $? $(wc -l <$out/vmbad.err) $(wc -c <$out/vmbad.out) $(tr '\n' ' ' <$out/vmbad.err)"
}

if [ "$mode" = qemu ]; then
	# a VFIO client that is not ours: QEMU assigns the first device of the first group
	# (-S: devices are realized, so the container is set up and guest RAM mapped, but no
	# guest code runs). It is stopped once the refs instance has seen it take the device
	# fd (GET_DEVICE_FD's get, the last step of realizing the device; not 5.10's temporary
	# lookups before it) and QEMU catches SIGTERM (SigCgt bit 15: sent at the first traced
	# get, SIGTERM once ended QEMU by its default action on 5.10, exit 143); bounded: 60 s. Then
	# QEMU's own VmLck, the memory type1 pinned for it, is the ground truth of what was pinned.
	# QEMU runs as libvirt starts it: -name guest=NAME, in the domain's scope (the name
	# systemd-escaped: "-" is \x2d); the client prints its -name and the cgroup it was in.
	dev=$(ls /sys/kernel/iommu_groups/$first/devices | head -1)
	cgroup2
	vm=web-01
	name_arg="guest=$vm,debug-threads=on"
	scope="$CG/machine.slice/machine-qemu\\x2d1\\x2d$(printf %s "$vm" | sed 's/-/\\x2d/g').scope"
	cat >$out/qemu_client.sh <<CLIENT
. ${0%/*}/lib.sh
out=$out
in_cgroup '$scope' qemu_cg qemu-system-x86_64 -name $name_arg -M q35 -m 64 -nodefaults -display none \\
	-monitor none -serial none -S -device vfio-pci,host=$dev 2>$out/qemu_client.err &
q=\$!
ready() {
	grep "\"event\":\"device_get\".*\"pid\":\$q," $out/qemu_refs.out | grep -q '"caller":"vfio_group_fops_unl_ioctl"' || return 1
	cgt=\$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/\$q/status)
	[ \$(( 0x\${cgt#????????????} & 0x4000 )) != 0 ]
}
i=0
while ! ready && kill -0 \$q 2>/dev/null && [ \$i -lt 600 ]; do i=\$((i + 1)); sleep 0.1; done
ready && seen=true || seen=false
vmlck=\$(sed -n 's/^VmLck:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/\$q/status 2>/dev/null)
kill -TERM \$q 2>/dev/null
wait \$q
printf '%s\\n' "{\"client\":\"qemu\",\"group\":$first,\"device\":\"$dev\",\"exit\":\$?,\"seen_get\":\$seen,\"vmlck_kb\":\${vmlck:-null},\"pid\":\$q,\"name_arg\":\"$name_arg\",\"cgroup\":\"\$(json_str <$out/qemu_cg.cgroup)\"}"
CLIENT
	qemu_run="sh $out/qemu_client.sh"
	vfiotrace refs -j >$out/qemu_refs.out 2>$out/qemu_refs.err &
	rpid=$!
	wait_tracing $out/qemu_refs.err
	run_traced qemu "$qemu_run" stat -j --dma --textfile $out/qemu.prom
	tag_file qemu_prom $out/qemu.prom
	tag qemu_stderr <$out/qemu_client.err
	echo "@@ begin qemu_refs"
	stop $rpid
	tag trace <$out/qemu_refs.out
	grep -v '^Tracing' $out/qemu_refs.err | tag stderr
	echo "@@ end qemu_refs"
	vm_names
	echo "@@ done"
	exit 0
fi

if [ "$mode" = eperm ]; then
	run_traced eperm_stat "vfio-workload -n 2" stat -j
	run_traced eperm_snoop "vfio-workload -n 1 -g $first" snoop -j
	echo "@@ begin diagnose"
	vfiotrace diagnose -j >$out/diagnose.out 2>$out/diagnose.err
	echo "@@ exit $?"
	tag trace <$out/diagnose.out
	tag stderr <$out/diagnose.err
	echo "@@ end diagnose"
	echo "@@ done"
	exit 0
fi

# without root: must refuse with one line that says so
echo "@@ begin unprivileged"
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
su -s /bin/sh nobody -c "$(command -v vfiotrace) stat -d 1" >$out/unpriv.out 2>$out/unpriv.err
echo "@@ exit $?"
tag stderr <$out/unpriv.err
echo "@@ end unprivileged"

# HOOKS=1: the kernel's own lists of kprobes and ftrace users while tracing, to
# check the attach style of every hook against; -v: at exit, how many hits took their
# function's row from a kprobe.multi link's cookie (check.py row_cache_said)
HOOKS=1
run_traced stat "vfio-workload -n 3" stat -j -v
run_traced stat_kprobe "vfio-workload -n 2" stat -j --mode kprobe
# a kprobe.multi link the kernel refuses (exc_page_fault: noinstr, not traceable by ftrace):
# the rows fall back to a kprobe each, said on stderr
if grep -q ' register_fprobe_ips$' /proc/kallsyms; then
	export VFIOTRACE_KPROBE_MULTI_ALSO=exc_page_fault
	run_traced multi_refused "vfio-workload -n 2" stat -j
	unset VFIOTRACE_KPROBE_MULTI_ALSO
fi
# where the links are kprobe.session links (6.10+), the kprobe.multi links they replace
if grep -q ' bpf_session_is_return$' /proc/kallsyms; then
	export VFIOTRACE_NO_KPROBE_SESSION=1
	run_traced stat_multi "vfio-workload -n 2" stat -j -v
	unset VFIOTRACE_NO_KPROBE_SESSION
fi
HOOKS=
# --mode fentry: fentry where module BTF allows it; without it (5.10) a refusal
if [ -e /sys/kernel/btf/vfio ] && [ -e /sys/kernel/btf/vfio_iommu_type1 ]; then
	HOOKS=1
	run_traced stat_fentry "vfio-workload -n 2" stat -j --mode fentry
	HOOKS=
else
	echo "@@ begin fentry_refused"
	timeout 60 vfiotrace stat -j -d 1 --mode fentry >$out/fentry_refused.out 2>$out/fentry_refused.err
	echo "@@ exit $?"
	tag trace <$out/fentry_refused.out
	tag stderr <$out/fentry_refused.err
	echo "@@ end fentry_refused"
fi
run_traced snoop "vfio-workload -n 2 -g $first" snoop -j
STOPSIG=TERM
run_traced sigterm "vfio-workload -n 1 -g $first" stat -j
unset STOPSIG
run_traced group_filter "vfio-workload -n 1" stat -j -g $first
run_traced hist "vfio-workload -n 2 -g $first" hist -j
# -p: a second workload waits for a go file, so its pid is known before it runs;
# the first one (another pid, same group) must not be counted
sh -c "i=0; while [ ! -e $out/go ] && [ \$i -lt 600 ]; do i=\$((i+1)); sleep 0.1; done; exec vfio-workload -n 1 -g $first" >$out/pid.workload 2>$out/pid.wlerr &
wpid=$!
run_traced pid_filter "vfio-workload -n 2 -g $first >/dev/null || exit 1; touch $out/go; i=0; while kill -0 $wpid 2>/dev/null && [ \$i -lt 300 ]; do i=\$((i+1)); sleep 0.1; done; cat $out/pid.workload" stat -j -p $wpid
# the filtered workload's own exit status (a child of this shell)
kill -0 $wpid 2>/dev/null && { echo "@@ error the -p workload did not end"; kill -9 $wpid; }
wait $wpid
echo "@@ pid_workload_exit $?"
# self-terminating runs: -d, and INTERVAL COUNT (cumulative summaries)
for spec in "duration:stat -j -d 3" "interval:stat -j 2 3" "text:stat -d 3"; do
	name=${spec%%:*}
	vfiotrace ${spec#*:} >$out/$name.out 2>$out/$name.err &
	pid=$!
	wait_tracing $out/$name.err $pid || { kill -9 $pid 2>/dev/null; wait $pid; continue; }
	echo "@@ begin $name"
	workload workload "vfio-workload -n 1 -g $first"
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
	kill -0 $pid 2>/dev/null && { echo "@@ error $name did not stop by itself"; kill -9 $pid; }
	wait $pid
	echo "@@ exit $?"
	tag trace <$out/$name.out
	grep -v '^Tracing' $out/$name.err | tag stderr
	echo "@@ end $name"
done

# a held device fd: puts arrive only when the fd closes
run_traced hold "vfio-workload -n 1 -s 2 -g $first" refs -j

# ---- DMA (--dma) ----
# 3 maps and unmaps of 1 MiB per attach, 2 attaches; again under --mode fentry where it loads
run_traced dma_stat "vfio-workload -n 2 -g $first --dma 1048576 --dma-count 3" stat -j --dma
if [ -e /sys/kernel/btf/vfio ] && [ -e /sys/kernel/btf/vfio_iommu_type1 ]; then
	HOOKS=1
	run_traced dma_fentry "vfio-workload -n 2 -g $first --dma 1048576 --dma-count 3" stat -j --dma --mode fentry
	HOOKS=
fi
run_traced dma_hist "vfio-workload -n 1 -g $first --dma 1048576 --dma-count 2" hist -j --dma
# without CAP_IPC_LOCK under a 64 KiB RLIMIT_MEMLOCK, a 1 MiB map fails (ENOMEM)
run_traced dma_memlock "vfio-workload -n 1 -g $first --dma 1048576 --memlock 65536" snoop -j --dma
run_traced dma_memlock_stat "vfio-workload -n 1 -g $first --dma 1048576 --memlock 65536" stat -j --dma
# one failed map per cause type1 tells apart; the group's reserved regions for the IOVA one
echo "@@ resv $(cat /sys/kernel/iommu_groups/$first/reserved_regions | tr '\n' ';')"
for kind in fault misalign overlap iova:0xfee00000; do
	run_traced dma_fail_${kind%%:*} "vfio-workload -n 1 -g $first --dma 65536 --dma-fail $kind" snoop -j --dma
done
run_traced dma_fail_text "vfio-workload -n 1 -g $first --dma 65536 --dma-fail overlap" stat --dma
limit=/sys/module/vfio_iommu_type1/parameters/dma_entry_limit
old=$(cat $limit)
echo 3 >$limit
echo "@@ dma_entry_limit $(cat $limit)"
run_traced dma_fail_limit "vfio-workload -n 1 -g $first --dma 65536 --dma-count 4 --dma-fail limit" stat -j --dma
echo $old >$limit

# ---- capacities: tables for one group while the workload attaches every group:
# the first group is counted exactly, what did not fit is counted as map_full
run_traced capacity "vfio-workload -n 2" stat -j --max-groups 1 --max-inflight 1
run_traced capacity_text "vfio-workload -n 1" stat --max-groups 1

# ---- hostile task names: a quote, a backslash, a control byte, a newline, DEL, a tab, UTF-8;
# and a hostile VM name: QEMU's -name with a quote, a backslash, a control byte, a newline, a
# byte outside UTF-8, UTF-8, ",," and 4 KiB in all: exact in JSON (cut at 255 bytes), escaped
# and cut in text (hostile_text) and in the Prometheus label. Its bytes: "@@ hostile_vm_arg HEX".
hostile=22715c27010a7f09c3a9e282ac
vmname="guest=$(printf 'q\042b\134c\001\n\377\303\251,,d')$(head -c 4096 /dev/zero | tr '\0' x),debug-threads=on"
echo "@@ hostile_vm_arg $(printf %s "$vmname" | od -v -An -tx1 | tr -d ' \n')"
run_traced hostile_json "vfio-workload -n 1 -g $first --comm-hex $hostile" snoop -j
run_traced hostile_text "vfio-workload -n 1 -g $first --comm-hex $hostile -- -name '$vmname'" snoop
run_traced hostile_vm "vfio-workload -n 1 -s 2 -g $first --dma 1048576 -- -name '$vmname'" \
	stat -j --dma --textfile $out/hostile_vm.prom
tag_file hostile_vm_prom $out/hostile_vm.prom

# ---- ring buffer overflow: a 4K buffer whose reader is stopped during a burst loses
# events, each one counted; delivered + drops = what a large-buffer instance delivered
vfiotrace snoop -j --ring-buffer 4K >$out/rb_small.out 2>$out/rb_small.err &
spid=$!
vfiotrace snoop -j --ring-buffer 16M >$out/rb_big.out 2>$out/rb_big.err &
bpid=$!
if wait_tracing $out/rb_small.err && wait_tracing $out/rb_big.err; then
	echo "@@ begin ring_overflow"
	kill -STOP $spid
	vfio-workload -n 200 --no-devices -g $first >$out/rb.wl 2>$out/rb.wlerr
	echo "@@ workload_exit $?"
	tag workload <$out/rb.wl
	tag workload_stderr <$out/rb.wlerr
	kill -CONT $spid
	stop $spid
	stop $bpid INT big_exit
	tag trace <$out/rb_small.out
	tag big <$out/rb_big.out
	grep -v '^Tracing' $out/rb_small.err | tag stderr
	grep -v '^Tracing' $out/rb_big.err | tag big_stderr
	echo "@@ end ring_overflow"
fi

# ---- device references (refs) ----
bridge=$(for g in $(ls /dev/vfio | grep -E '^[0-9]+$'); do
	[ "$(ls /sys/kernel/iommu_groups/$g/devices | wc -l)" -gt 1 ] && echo $g; done | head -1)
# every device fd of the bridge group opened and closed 3 times
run_traced refs_cycle "vfio-workload -n 3 -g $bridge" refs -j
if [ -e /sys/kernel/btf/vfio ] && [ -e /sys/kernel/btf/vfio_iommu_type1 ]; then
	HOOKS=1
	run_traced refs_fentry "vfio-workload -n 3 -g $bridge" refs -j --mode fentry
	HOOKS=
fi

# wait_get FILE PID: until FILE shows PID's device fd reference (at most 30 s):
# the get of GET_DEVICE_FD, not a temporary lookup (5.10's vfio_dev_viable)
wait_get() {
	i=0
	while ! grep "\"event\":\"device_get\".*\"pid\":$2," "$1" 2>/dev/null |
		grep -q '"caller":"vfio_group_fops_unl_ioctl"'; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then echo "@@ error no device_get by pid $2"; return 1; fi
		sleep 0.1
	done
}

# held_exit: SIGINT while the workload holds a device fd: the final object lists it
vfiotrace refs -j >$out/held_exit.out 2>$out/held_exit.err &
pid=$!
if wait_tracing $out/held_exit.err $pid; then
	echo "@@ begin held_exit"
	vfio-workload -n 1 -s 120 -g $first >$out/held_exit.workload 2>$out/held_exit.wlerr &
	wpid=$!
	wait_get $out/held_exit.out $wpid
	stop $pid
	kill -USR1 $wpid
	wait $wpid
	echo "@@ workload_exit $?"
	tag workload <$out/held_exit.workload
	tag workload_stderr <$out/held_exit.wlerr
	tag trace <$out/held_exit.out
	grep -v '^Tracing' $out/held_exit.err | tag stderr
	echo "@@ end held_exit"
fi

# hung_unbind: unbind a device whose fd the workload holds; release it only once the
# trace has reported the wait, so the checks are causal, not timed
dev=$(ls /sys/kernel/iommu_groups/$first/devices | head -1)
vfiotrace refs -j >$out/unbind.out 2>$out/unbind.err &
pid=$!
if wait_tracing $out/unbind.err $pid; then
	echo "@@ begin hung_unbind"
	vfio-workload -n 1 -s 120 -g $first >$out/unbind.workload 2>$out/unbind.wlerr &
	wpid=$!
	wait_get $out/unbind.out $wpid
	t0=$(cut -d' ' -f1 /proc/uptime)
	(echo $dev > /sys/bus/pci/devices/$dev/driver/unbind; cut -d' ' -f1 /proc/uptime >$out/unbind.t1) &
	upid=$!
	i=0
	while ! grep -q '"event":"unbind_wait"' $out/unbind.out && [ $i -lt 300 ]; do
		i=$((i + 1)); sleep 0.1
	done
	ts=$(cut -d' ' -f1 /proc/uptime)
	sleep 1
	tw=$(cut -d' ' -f1 /proc/uptime)
	kill -0 $upid 2>/dev/null && blocked=true || blocked=false
	kill -USR1 $wpid
	wait $upid
	wait $wpid
	echo "@@ workload_exit $?"
	echo "@@ unbind {\"device\":\"$dev\",\"blocked_at_release\":$blocked,\"start_s\":$t0,\"seen_s\":$ts,\"release_s\":$tw,\"end_s\":$(cat $out/unbind.t1)}"
	stop $pid
	tag workload <$out/unbind.workload
	tag workload_stderr <$out/unbind.wlerr
	tag trace <$out/unbind.out
	grep -v '^Tracing' $out/unbind.err | tag stderr
	echo "@@ end hung_unbind"
	echo $dev > /sys/bus/pci/drivers_probe
fi
echo "@@ done"
