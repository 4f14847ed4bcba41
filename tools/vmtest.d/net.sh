# Sourced by the guest /init with --forward: QEMU user-net on a virtio NIC
# (10.0.2.15/24, host side 10.0.2.2), lo up for 127.0.0.1 listeners. Every
# wait is bounded. Returns non-zero on failure.
net_mods=/lib/modules/$(uname -r)/vmtest-net
for f in $(cat $net_mods/net.order); do
    grep -q "^${f%.ko} " /proc/modules && continue
    insmod $net_mods/$f || { echo "net: insmod $f failed" > /dev/console; return 1; }
done
ip link set lo up || return 1
net_i=0
until [ -e /sys/class/net/eth0 ]; do
    net_i=$((net_i + 1))
    [ $net_i -gt 100 ] && { echo "net: no eth0 (virtio-net)" > /dev/console; return 1; }
    sleep 0.1
done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 || return 1
return 0
