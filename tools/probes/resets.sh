#!/bin/sh
# What each kernel offers for tracing resets and power of vfio-bound devices.
echo "@@ kernel $(uname -r)"
for f in __pci_reset_function_locked pci_reset_function pci_try_reset_function pcie_flr pci_af_flr pci_pm_reset \
	pci_dev_specific_reset pci_dev_acpi_reset pci_reset_bus_function pci_parent_bus_reset pci_reset_hotplug_slot \
	pci_dev_reset_slot_function pci_reset_bus __pci_reset_bus pci_try_reset_bus pci_bus_reset pci_slot_reset \
	__pci_reset_slot pci_try_reset_slot pci_set_power_state pci_set_power_state_locked pci_power_up \
	vfio_pci_core_enable vfio_pci_core_disable vfio_pci_enable vfio_pci_disable vfio_pci_dev_set_hot_reset \
	vfio_pci_ioctl_pci_hot_reset vfio_pci_dev_set_try_reset vfio_pci_try_bus_reset vfio_pci_core_ioctl vfio_pci_ioctl \
	vfio_pci_open_device vfio_pci_core_close_device vfio_pci_open vfio_pci_release pci_reset_secondary_bus \
	pci_bridge_secondary_bus_reset pcibios_reset_secondary_bus; do
	l=$(awk -v f="$f" '$3 == f {print $2, $4}' /proc/kallsyms | head -2 | tr '\n' ' ')
	echo "@@ ksym $f: ${l:-ABSENT}"
done
modprobe vfio-pci 2>/dev/null
for f in vfio_pci_core_enable vfio_pci_enable vfio_pci_core_disable vfio_pci_disable vfio_pci_dev_set_hot_reset vfio_pci_ioctl_pci_hot_reset vfio_pci_try_bus_reset vfio_pci_dev_set_try_reset vfio_pci_open_device vfio_pci_open; do
	l=$(awk -v f="$f" '$3 == f {print $2, $4}' /proc/kallsyms | head -2 | tr '\n' ' ')
	echo "@@ ksym-after-modprobe $f: ${l:-ABSENT}"
done
ls /sys/kernel/btf | tr '\n' ' '; echo
for d in /sys/bus/pci/devices/*; do echo "@@ dev $(basename $d) $(cat $d/vendor 2>/dev/null):$(cat $d/device) reset_method=$(cat $d/reset_method 2>/dev/null || echo none) power=$(cat $d/power_state 2>/dev/null)"; done
