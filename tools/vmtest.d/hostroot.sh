# Sourced by the guest /init with --hostroot: mount the build machine's root
# (virtio-9p, read-only) on /newroot and prepare it for chroot. Every wait is
# bounded. Returns non-zero on failure.
hr_mods=/lib/modules/$(uname -r)
for f in $(cat "$hr_mods/vmtest/hostroot.order"); do
    n=$(basename "$f" .ko | tr - _)
    grep -q "^$n " /proc/modules && continue
    insmod "$hr_mods/$f" || { echo "hostroot: insmod $f failed" > /dev/console; return 1; }
done
hr_i=0
until mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /newroot 2>/dev/null; do
    hr_i=$((hr_i + 1))
    [ $hr_i -gt 100 ] && { echo "hostroot: cannot mount the 9p root (tag hostroot)" > /dev/console; return 1; }
    sleep 0.1
done
for d in proc sys dev; do mount --rbind /$d /newroot/$d || return 1; done
for d in tmp run var/tmp; do
    [ -d /newroot/$d ] && mount -t tmpfs tmpfs /newroot/$d
done
chmod 1777 /newroot/tmp /newroot/var/tmp 2>/dev/null
# The guest kernel's modules (the host's /lib/modules is for the host kernel).
[ -d /newroot/lib/modules ] && mount --bind /lib/modules /newroot/lib/modules
# --add files, only when there are some (this hides the host's /mnt).
if [ -n "$(ls /mnt/add)" ] && [ -d /newroot/mnt ]; then
    mount -t tmpfs tmpfs /newroot/mnt && mkdir -p /newroot/mnt/add && mount --bind /mnt/add /newroot/mnt/add
fi
# Harness programs: vfiotrace, vfio-workload, vfio-setup, and busybox's module
# tools (the host may have no kmod), first on PATH.
mkdir -p /newroot/run/vmtest/bin
cp /vmtest/cmd /newroot/run/vmtest/cmd
cp /bin/busybox /newroot/run/vmtest/busybox
for t in insmod rmmod lsmod modprobe modinfo; do ln -s ../busybox /newroot/run/vmtest/bin/$t; done
for b in /usr/bin/vfiotrace /usr/bin/vfio-workload /usr/bin/vfio-setup; do
    [ -e "$b" ] && cp "$b" /newroot/run/vmtest/bin/
done
return 0
