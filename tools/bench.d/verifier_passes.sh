#!/bin/sh
# verifier-passes: where the kernel's bpf_check goes, per program vfiotrace loads (run 31).
# In a --hostroot guest (bpftrace from this machine), with --icount the times are instructions:
#   VMTEST_SMP=1 VMTEST_ICOUNT=shift=0,sleep=on tools/vmtest --kernel latest --hostroot \
#       --add tools/bench.d/verifier_passes.sh -- sh /mnt/add/verifier_passes.sh > LOG
#   python3 tools/bench.d/verifier_passes.py LOG
# Each bpf_check prints "N name PROG LEN", then "N FUNC CALLS NS" for each pass below that ran
# inside it (a pass inlined on that kernel is skipped: "no FUNC"). One vCPU, so that no other
# CPU's work lands between a pass's entry and return; other threads' time slices still can.
BT='kprobe:bpf_check { @n++; $p = *(struct bpf_prog **)arg0; printf("%d name %s %d\n", @n, $p->aux->name, $p->len); }'
i=0
for f in bpf_check bpf_compute_subprog_arg_access bpf_compute_live_registers bpf_compute_const_regs \
	 do_check_common bpf_jit_subprogs bpf_int_jit_compile; do
	grep -q " $f$" /proc/kallsyms || { echo "no $f"; continue; }
	i=$((i + 1))
	BT="$BT
kprobe:$f { @t$i[tid] = nsecs; @c$i[tid]++; }
kretprobe:$f /@t$i[tid]/ { @sum$i[tid] += nsecs - @t$i[tid]; delete(@t$i[tid]); }
kretprobe:bpf_check { if (@c$i[tid]) { printf(\"%d $f %d %d\\n\", @n, @c$i[tid], @sum$i[tid]); } delete(@c$i[tid]); delete(@sum$i[tid]); }"
done
printf '%s\n' "$BT" > /tmp/passes.bt
bpftrace /tmp/passes.bt > /tmp/passes.out 2>&1 &
sleep 10
vfiotrace stat -vv > /dev/null 2> /tmp/vt.err &
vt=$!
for s in $(seq 60); do grep -q Tracing /tmp/vt.err && break; sleep 1; done
sleep 1; kill -INT $vt; wait $vt
sleep 1; kill -INT %1; sleep 3
grep -E "Tracing|failed" /tmp/vt.err
echo "@@passes"; cat /tmp/passes.out
