#!/bin/bash
# The PSI latency benchmark inside the VM (tests/scenario/psi_latency.py runs it as /share/run.sh).
# jmemd runs as jmemd.service in enforce mode; pressure.service (a sleep, MemoryMax-limited) is the
# workload whose only rung is freeze. Each episode, in turn with the PSI trigger on and off (a policy
# reload between), psi_probe waits for calm, starts its loaders in pressure.service, and stamps the
# kernel's trigger (T0) and the cgroup's "frozen 1" (T1); then `jmemctl release` thaws the unit.
# Results go to /share/episodes.txt, one "mode=MODE n=N episode ..." line each, and to
# /share/unasked.txt a line for each freeze found between episodes, with no load running; vm.py adds
# the journal.
set -u
share=/share
. "$share/params.sh"

log() { echo "psi_latency.sh: $* t=$EPOCHREALTIME"; }

install -m 0755 "$share/bin/psi_probe" /usr/local/bin/psi_probe
. "$share/jmem/install.sh" policy-trigger.toml
if [ "$WITHOUT_CAP_SYS_RESOURCE" = 1 ]; then
  # An experiment, not the shipped unit: the empty line resets the bounding set, the next sets it.
  mkdir -p /etc/systemd/system/jmemd.service.d
  printf '[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=CAP_SYS_PTRACE\n' \
    >/etc/systemd/system/jmemd.service.d/caps.conf
fi

# The files the loaders read, one each, dropped from the page cache so that their pages are charged
# to pressure.service when the loaders read them back.
files=()
for ((i = 1; i <= LOADERS; i++)); do
  files+=("/var/tmp/psi-load-$i")
  dd if=/dev/zero of="/var/tmp/psi-load-$i" bs=1M count="$LOAD_FILE_MIB" status=none
done
sync
echo 3 >/proc/sys/vm/drop_caches

cat >/run/systemd/system/pressure.service <<EOF
[Unit]
Description=PSI benchmark: the workload jmemd freezes
[Service]
ExecStart=/bin/sleep infinity
MemoryMax=${MEMORY_MAX_MIB}M
EOF
systemctl daemon-reload
systemctl start pressure.service
systemctl enable --now jmemd.service
deadline=$((EPOCHSECONDS + 60))
until jmemctl status >/dev/null 2>&1; do
  if ((EPOCHSECONDS >= deadline)); then
    log "jmemd did not answer on the bus"
    exit 1
  fi
  sleep 0.2
done

# The trigger as jmemd registered it: 1 s, or 2 s with the stall scaled when the kernel refuses 1 s to a
# writer without CAP_SYS_RESOURCE. The probe registers the same, in both modes.
armed=$(journalctl -b -u jmemd.service -o cat | grep "PSI trigger armed:" | tail -n 1)
if [[ "$armed" =~ armed:\ ([0-9]+)\ ms\ of\ memory\ stall\ within\ ([0-9]+)\ ms ]]; then
  stall_ms=${BASH_REMATCH[1]} window_ms=${BASH_REMATCH[2]}
else
  log "jmemd armed no PSI trigger: ${armed:-nothing in its journal}"
  exit 1
fi
echo "stall_ms=$stall_ms window_ms=$window_ms" >"$share/trigger.txt"
log "the trigger: $stall_ms ms within $window_ms ms"

cgroup=/sys/fs/cgroup/system.slice/pressure.service
mkdir -p "$share/status"
for ((episode = 1; episode <= EPISODES; episode++)); do
  for mode in $MODES; do
    install -m 0644 "$share/jmem/policy-$mode.toml" /etc/jmem/policy.toml
    if ! jmemctl reload >/dev/null; then
      log "jmemd refused the $mode policy"
      exit 1
    fi
    psi_probe calm "$CALM_SOME_PERMYRIAD" "$CALM_FULL_PERMYRIAD" "$CALM_TIMEOUT_S" || log "not calm before $mode $episode"
    if grep -qx "frozen 1" $cgroup/cgroup.events; then
      echo "before $mode $episode" >>"$share/unasked.txt"
      log "pressure.service was frozen with no load running; released"
      jmemctl release pressure.service >/dev/null
    fi
    result=$(psi_probe episode $((stall_ms * 1000)) $((window_ms * 1000)) $cgroup "$EPISODE_TIMEOUT_S" "${files[@]}")
    echo "mode=$mode n=$episode $result" >>"$share/episodes.txt"
    log "$mode $episode: $result"
    # When jmemd decided (its recent actions), for the breakdown.
    jmemctl --json status >"$share/status/$mode-$episode.json" 2>&1
    # The loaders are gone and the unit stays frozen. Released only once PSI is calm again: released
    # while avg10 still shows the episode's stall, the idle unit would be frozen again at the next tick.
    psi_probe calm "$CALM_SOME_PERMYRIAD" "$CALM_FULL_PERMYRIAD" "$CALM_TIMEOUT_S" || log "not calm after $mode $episode"
    if grep -qx "frozen 1" $cgroup/cgroup.events; then
      jmemctl release pressure.service >/dev/null || log "release after $mode $episode failed"
    fi
  done
done
exit 0
