#!/bin/bash
# One case of the OOM scenario, inside the VM (tests/system/vm.py runs it as /share/run.sh).
# /share/case names the governor (none, earlyoom, systemd-oomd, jmemd), with "+zram" for zram swap as
# JetPack sets it up; /share/params.sh sizes the workloads; /share/bin holds the payload programs
# (and jmemd, jmemctl). Results go to /share:
# samples.txt (the batch unit's limits and state, its memory stall and the machine's, every 100 ms),
# final-UNIT.txt (each unit's end state), inference-rounds.txt (when each round of the inference's
# work ended), governor.txt, and for jmemd jmemctl-status.json. vm.py adds
# the journal and kernel log.
# Every loop here polls with bash builtins only: a process started every 100 ms near the OOM point
# would page its binary and libraries back in, and that reclaim "progress" keeps the kernel's OOM
# killer away and the machine thrashing (it did, with systemctl in the sampler).
set -u
share=/share
case=$(cat "$share/case")
. "$share/params.sh"

log() { echo "run.sh: $* t=$EPOCHREALTIME"; }

. "$share/poll.sh"

install -m 0755 "$share/bin/inference" "$share/bin/batch" /usr/local/bin/

# Restart=no so a death stays visible; systemd's default OOMPolicy=stop records an OOM kill.
cat >/run/systemd/system/inference.service <<EOF
[Unit]
Description=Scenario: the protected inference workload
[Service]
ExecStart=/usr/local/bin/inference $INFERENCE_PEAK_PERMILLE $INFERENCE_LOW_PERMILLE $INFERENCE_PEAK_HOLD_S /run/scenario
EOF
cat >/run/systemd/system/batch.service <<EOF
[Unit]
Description=Scenario: the low-priority batch workload
[Service]
ExecStart=/usr/local/bin/batch $BATCH_TARGET_PERMILLE $BATCH_STEP_PAUSE_S $BATCH_HOLD_S
EOF

# zram swap as JetPack's nvzramconfig makes it: a device per CPU, half of MemTotal in all, priority 5.
if [[ $case == *+zram ]]; then
  devices=$(nproc)
  read -r _ mem_total_kib _ </proc/meminfo
  modprobe zram num_devices="$devices" || log "no zram module"
  for ((i = 0; i < devices; i++)); do
    echo $((mem_total_kib * 1024 / 2 / devices)) >/sys/block/zram$i/disksize
    mkswap /dev/zram$i >/dev/null && swapon -p 5 /dev/zram$i || log "zram$i: no swap"
  done
fi

case "${case%+zram}" in
  none) governor= ;;
  earlyoom) governor=earlyoom.service ;;
  systemd-oomd) governor=systemd-oomd.service ;;
  jmemd)
    governor=jmemd.service
    . "$share/jmem/install.sh" policy.toml
    ;;
  *)
    log "unknown case $case"
    exit 2
    ;;
esac
systemctl daemon-reload
if [ -n "$governor" ]; then
  systemctl enable --now "$governor"
  if [ "$governor" = jmemd.service ]; then
    wait_until 60 jmemctl status >/dev/null 2>&1 || log "jmemd did not answer on the bus"
  fi
  # What systemd-oomd watches with Debian's defaults.
  [ "$governor" = systemd-oomd.service ] && oomctl dump >"$share/oomctl.txt" 2>&1
fi
{
  echo "unit=$governor"
  echo "active=$([ -n "$governor" ] && systemctl is-active "$governor")"
} >"$share/governor.txt"

# The batch unit's limits and state as the kernel reports them (its cgroup's memory.high and
# cgroup.events), not as the governor says: read with builtins every 100 ms, nothing started.
sample() {
  local cgroup=/sys/fs/cgroup/system.slice/batch.service key value total kib high current frozen full avg10
  local batch_full
  while :; do
    kib=- high=- current=- frozen=- full=- avg10=- batch_full=-
    while read -r key value _; do
      [ "$key" = MemAvailable: ] && kib=$value && break
    done </proc/meminfo
    # PSI's "full" stall over the last 10 s and so far (total=, microseconds): the whole machine's;
    # the batch's own total.
    while read -r key value _ _ total; do
      [ "$key" = full ] && avg10=${value#avg10=} full=${total#total=} && break
    done </proc/pressure/memory
    if [ -e $cgroup/memory.high ]; then
      read -r high <$cgroup/memory.high
      read -r current <$cgroup/memory.current
      while read -r key value; do [ "$key" = frozen ] && frozen=$value; done <$cgroup/cgroup.events
      while read -r key _ _ _ value; do [ "$key" = full ] && batch_full=${value#total=}; done <$cgroup/memory.pressure
    fi 2>/dev/null
    echo "t=$EPOCHREALTIME mem_available_kib=$kib memory_high=$high memory_current=$current frozen=$frozen" \
      "psi_full_total_us=$full psi_full_avg10=$avg10 batch_psi_full_total_us=$batch_full"
    pause 0.1
  done
}
sample >"$share/samples.txt" &
sampler=$!

log "starting inference"
systemctl start inference.service
peak_or_dead() { [ -e /run/scenario/inference-peak ] || ! running inference.service; }
wait_until 180 peak_or_dead || log "inference did not reach its peak"
# The inference's rounds alone first: the rate the ramp is compared with.
pause "$BASELINE_S"

log "starting batch"
systemctl start batch.service
# Done when the batch has ended and the inference's peak has passed (or the inference is gone).
settled() { ! running batch.service && { [ -e /run/scenario/inference-low ] || ! running inference.service; }; }
wait_until "$SETTLE_S" settled || log "the scenario did not settle within ${SETTLE_S}s"
log "settled"

for unit in inference batch; do
  systemctl show -p ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,NRestarts,MemoryHigh,FreezerState \
    "$unit.service" >"$share/final-$unit.txt"
done
cp /run/scenario/inference-rounds.txt "$share/" 2>/dev/null
if [ "$governor" = jmemd.service ]; then
  jmemctl --json status >"$share/jmemctl-status.json" 2>&1
fi
kill "$sampler"
systemctl stop inference.service
exit 0
