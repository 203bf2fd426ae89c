#!/bin/bash
# The throttle on cgroup v2, inside the VM (tests/system/throttle_vm_test.py runs it as /share/run.sh).
# An operator throttles batch.service twice (MemoryHigh, then the cgroup freezer), jmemd is killed
# with SIGKILL and restarted by systemd, and the operator releases the unit. After each step
# snapshot records the kernel's view (the cgroup's files) and jmemd's (jmemctl --json status) to
# /share/STEP.*; the host checks them.
set -u
share=/share
. "$share/jmem/install.sh" policy.toml

log() { echo "throttle_vm.sh: $* t=$EPOCHREALTIME"; }
cgroup=/sys/fs/cgroup/system.slice/batch.service

# wait_until SECONDS COMMAND...: polls COMMAND every 100 ms until it succeeds; 1 after the deadline.
wait_until() {
  local deadline=$((EPOCHSECONDS + $1))
  shift
  until "$@"; do
    ((EPOCHSECONDS >= deadline)) && return 1
    sleep 0.1
  done
}
frozen() { grep -qx "frozen $1" $cgroup/cgroup.events; }
answers() { jmemctl status >/dev/null 2>&1; }
restarted() { [ "$(systemctl show -p MainPID --value jmemd.service)" != "$1" ] && answers; }

snapshot() {
  {
    echo "memory_high=$(cat $cgroup/memory.high)"
    echo "frozen=$(sed -n 's/^frozen //p' $cgroup/cgroup.events)"
    echo "batch_state=$(systemctl show -p ActiveState --value batch.service)"
    echo "jmemd_pid=$(systemctl show -p MainPID --value jmemd.service)"
    echo "jmemd_restarts=$(systemctl show -p NRestarts --value jmemd.service)"
  } >"$share/$1.state"
  jmemctl --json status >"$share/$1.status.json" 2>&1
  cp /var/lib/jmem/throttle/changes.jsonl "$share/$1.changes.jsonl" 2>/dev/null
}

# ctl STEP ARGS...: jmemctl ARGS, its output to /share/STEP.out and its exit status to /share/STEP.rc.
ctl() {
  local step=$1
  shift
  jmemctl "$@" >"$share/$step.out" 2>&1
  echo $? >"$share/$step.rc"
}

# The batch holds 32 MiB of its own (a shell variable) under a MemoryHigh of its own, which a release
# must give back.
cat >/run/systemd/system/batch.service <<'UNIT'
[Unit]
Description=stand-in batch workload
[Service]
ExecStart=/bin/bash -c 'data=$$(head -c 33554432 /dev/zero | tr "\\0" x); sleep infinity'
MemoryHigh=256M
UNIT
systemctl daemon-reload
systemctl start batch.service
systemctl enable --now jmemd.service
wait_until 60 answers || { log "jmemd did not answer on the bus"; exit 1; }
snapshot start

# zram as the kernel has it (a VM boot is shared between checks): zram0 set up and empty, zram1 holding
# 48 MiB of compressible data written past the page cache, so its mm_stat stays as it is. jmemd must
# show each device as its mm_stat says, through the hardened unit's view of /sys.
zram_held() { jmemctl --json status | grep -Eq '"orig_data_bytes": ?50331648'; }
if modprobe zram num_devices=2; then
  echo 64M >/sys/block/zram0/disksize
  echo 128M >/sys/block/zram1/disksize
  yes "jmem zram $(date)" | head -c 50331648 | dd of=/dev/zram1 bs=1M iflag=fullblock oflag=direct status=none
  wait_until 10 zram_held || log "jmemd does not show zram1's data"
  jmemctl --json status >"$share/zram.status.json" 2>&1
  for device in /sys/block/zram*; do
    echo "${device##*/} $(cat "$device/disksize") $(cat "$device/mm_stat")"
  done >"$share/zram.mm_stat"
  zramctl --reset /dev/zram1 /dev/zram0 2>/dev/null || { echo 1 >/sys/block/zram1/reset; echo 1 >/sys/block/zram0/reset; }
else
  log "no zram module"
fi

ctl throttle throttle batch.service
snapshot throttled
ctl freeze throttle batch.service
wait_until 10 frozen 1 || log "batch.service did not freeze"
snapshot frozen

pid=$(systemctl show -p MainPID --value jmemd.service)
systemctl kill -s KILL jmemd.service
wait_until 60 restarted "$pid" || log "jmemd did not come back"
snapshot adopted

ctl release release batch.service
wait_until 10 frozen 0 || log "batch.service did not thaw"
snapshot released

# An entry from another boot: throttled again, jmemd killed, and the journal's boot_id made another
# boot's. The restarted jmemd must let it go without touching the unit (a reboot ends a runtime
# property; here the kernel still has it, which shows that jmemd did not act).
ctl rethrottle throttle batch.service
pid=$(systemctl show -p MainPID --value jmemd.service)
systemctl kill -s KILL jmemd.service
sed -i 's/"boot_id":"[^"]*"/"boot_id":"00000000-0000-4000-8000-000000000000"/' /var/lib/jmem/throttle/changes.jsonl
wait_until 60 restarted "$pid" || log "jmemd did not come back"
snapshot other_boot

# An operator's own MemoryHigh set while the unit is throttled stands at the release.
ctl override_throttle throttle batch.service
systemctl set-property --runtime batch.service MemoryHigh=200M
ctl override_release release batch.service
snapshot overridden
systemctl stop jmemd.service
exit 0
