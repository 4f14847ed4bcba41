# Sourced by a guest script of tools/vmtest (after tests/vm/lib.sh, for tag):
# defines diag_resets, which prints the ground truth of every PCI device bound to
# vfio-pci (sysfs reset_method, reset, power_state, d3cold_allowed, its place in
# the device tree and its IOMMU group, its config space) next to `vfiotrace
# diagnose -j` and the text output, as "@@ dr_* ..." lines that
# tests/vm/check_diag_resets.py compares. Bind the devices first.
# usage: diag_resets [--trial]
#   --trial: then ask the kernel for a function reset of every bound device
#   (echo 1 > /sys/bus/pci/devices/D/reset), the run-time truth of
#   "function_reset". It resets devices: leave it out while a tracer counts resets.
# Environment: VFIOTRACE (default vfiotrace), out (a directory for files, default /tmp/vt).
# shellcheck shell=sh

diag_resets() {
	dr_vt=${VFIOTRACE:-vfiotrace}
	dr_out=${out:-/tmp/vt}
	mkdir -p "$dr_out"
	echo "@@ dr_kernel $(uname -r)"
	echo "@@ dr_idle_d3 $(cat /sys/module/vfio_pci/parameters/disable_idle_d3 2>/dev/null || echo -)"
	for d in /sys/bus/pci/devices/*; do
		echo "@@ dr_pci ${d##*/} $(readlink -f "$d") $(ls "$d/pci_bus" 2>/dev/null | tr '\n' ' ')"
	done
	for s in /sys/bus/pci/slots/*; do
		[ -e "$s/address" ] || continue
		m=$(readlink "$s/module" 2>/dev/null)
		echo "@@ dr_slot $(cat "$s/address") ${m:+${m##*/}}${m:--}"
	done
	dr_devs=
	for d in /sys/bus/pci/devices/*; do
		[ "$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)" = vfio-pci ] && dr_devs="$dr_devs ${d##*/}"
	done
	echo "@@ dr_devs$dr_devs"
	# sysfs first: power_state before anything reads config space (a read wakes a device in D3cold)
	for n in $dr_devs; do
		d=/sys/bus/pci/devices/$n
		echo "@@ dr_group $n $(basename "$(readlink "$d/iommu_group")")"
		if [ -e "$d/reset_method" ]; then
			echo "@@ dr_reset_method $n yes $(cat "$d/reset_method")"
		else
			echo "@@ dr_reset_method $n no"
		fi
		echo "@@ dr_reset_file $n $([ -e "$d/reset" ] && echo yes || echo no)"
		echo "@@ dr_power $n $(cat "$d/power_state" 2>/dev/null || echo -)"
		echo "@@ dr_d3cold $n $(cat "$d/d3cold_allowed" 2>/dev/null || echo -)"
	done
	for g in $(for n in $dr_devs; do basename "$(readlink /sys/bus/pci/devices/$n/iommu_group)"; done | sort -u); do
		for d in /sys/kernel/iommu_groups/$g/devices/*; do echo "@@ dr_member $g ${d##*/}"; done
	done

	echo "@@ begin dr_diagnose"
	"$dr_vt" diagnose -j >"$dr_out/dr_diagnose.out" 2>"$dr_out/dr_diagnose.err"
	echo "@@ dr_exit $?"
	tag dr_trace <"$dr_out/dr_diagnose.out"
	tag dr_stderr <"$dr_out/dr_diagnose.err"
	echo "@@ end dr_diagnose"
	for n in $dr_devs; do
		echo "@@ dr_power_after $n $(cat /sys/bus/pci/devices/$n/power_state 2>/dev/null || echo -)"
	done
	for n in $dr_devs; do
		echo "@@ dr_config $n $(od -A n -t x1 -v -N 256 /sys/bus/pci/devices/$n/config | tr -d ' \n')"
	done
	echo "@@ begin dr_diagnose_text"
	"$dr_vt" diagnose >"$dr_out/dr_diagnose.out" 2>"$dr_out/dr_diagnose.err"
	echo "@@ dr_exit $?"
	tag dr_trace <"$dr_out/dr_diagnose.out"
	tag dr_stderr <"$dr_out/dr_diagnose.err"
	echo "@@ end dr_diagnose_text"

	if [ "${1:-}" = --trial ]; then
		for n in $dr_devs; do
			d=/sys/bus/pci/devices/$n
			if [ ! -e "$d/reset" ]; then
				echo "@@ dr_trial $n nofile"
				continue
			fi
			msg=$( (echo 1 >"$d/reset") 2>&1)
			echo "@@ dr_trial $n $? $(echo "$msg" | tr '\n' ' ')"
		done
	fi
	echo "@@ dr_done"
}
