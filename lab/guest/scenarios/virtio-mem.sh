#!/bin/sh
# lab-title: virtio-mem grow and shrink
# lab-machine: pc
# lab-devices: vmem:vm0:1G:0
# lab-cmdline: memhp_default_state=online_movable
# lab-timeout: 120
#
# A virtio-mem device with 1 GiB of device memory and nothing plugged.  The
# host raises requested-size over QMP, the driver plugs and onlines memory;
# then the host lowers it and the driver unplugs.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 8
mt0=$(memtotal_kb)
blocks0=$(nr_blocks)
step "before: $(mem_summary)"

memtotal_is() { [ "$(memtotal_kb)" -eq "$1" ]; }

step "grow vm0 to 256 MiB"
check "QMP: requested-size 256M reached" req vmem-resize vm0 256M
check "MemTotal grows by 256 MiB" wait_for 60 memtotal_is $((mt0 + 262144))
check "virtio-mem blocks appeared" nr_blocks_is -gt "$blocks0"
check "the new memory is in ZONE_MOVABLE" test "$(zone_pages Movable managed)" -ge 65536
step "grown: $(mem_summary)"

step "shrink vm0 to 0"
check "QMP: requested-size 0 reached" req vmem-resize vm0 0
check "MemTotal back" wait_for 60 memtotal_is "$mt0"
check "virtio-mem blocks removed" wait_for 60 nr_blocks_is -eq "$blocks0"
check_eq "ZONE_MOVABLE empty again" "$(zone_pages Movable managed)" 0
step "shrunk: $(mem_summary)"
tap_done
