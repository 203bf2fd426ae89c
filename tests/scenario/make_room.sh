#!/bin/bash
# The make-room scenario inside the VM (tests/system/vm.py runs it as /share/run.sh): a loader starts
# while a lower-priority batch holds most of what is free and the page cache is full; first without
# make-room, then with ExecStartPre=jmemctl make-room, then a request that cannot be met, and one from
# a user who may not ask. /share/params.sh sizes it; /share/bin holds the programs. Results go to
# /share: phases.txt (what happened when), samples.txt (every 100 ms: MemAvailable, PSI, the batch's
# memory.high and freezer), plain-ready.txt and room-ready.txt (the loaders' time to ready),
# refused.json and denied.txt, status-holding.json; vm.py adds the journal and kernel log.
set -u
share=/share
. "$share/params.sh"

phase() { echo "$1 $EPOCHREALTIME" >>"$share/phases.txt"; }
mkdir -p /run/scenario/batch
. "$share/poll.sh"
cgroup=/sys/fs/cgroup/system.slice/batch.service
released() {
  local high frozen=1 key value
  read -r high <$cgroup/memory.high || return 1
  while read -r key value; do [ "$key" = frozen ] && frozen=$value; done <$cgroup/cgroup.events
  [ "$high" = max ] && [ "$frozen" = 0 ]
}
batch_cpu_usec() {
  local key value
  while read -r key value; do [ "$key" = usage_usec ] && echo "$value" && return; done <$cgroup/cpu.stat
}

install -m 0755 "$share/bin/inference" "$share/bin/loader" /usr/local/bin/
# zram swap as JetPack's nvzramconfig makes it: a device per CPU, half of MemTotal in all.
devices=$(nproc)
read -r _ mem_total_kib _ </proc/meminfo
modprobe zram num_devices="$devices"
for ((i = 0; i < devices; i++)); do
  echo $((mem_total_kib * 1024 / 2 / devices)) >/sys/block/zram$i/disksize
  mkswap /dev/zram$i >/dev/null && swapon -p 5 /dev/zram$i
done
room_mib=$((mem_total_kib * ROOM_PERMILLE / 1000 / 1024))

. "$share/jmem/install.sh" policy.toml
cat >/run/systemd/system/batch.service <<EOF2
[Unit]
Description=Scenario: the low-priority batch, touching its share of memory
[Service]
ExecStart=/usr/local/bin/inference $BATCH_PERMILLE $((BATCH_PERMILLE - 1)) 100000 /run/scenario/batch
EOF2
for name in loader-plain loader; do
  pre=
  [ $name = loader ] && pre="ExecStartPre=/usr/bin/jmemctl make-room ${room_mib}M --timeout 60 --hold $HOLD_S"
  cat >/run/systemd/system/$name.service <<EOF2
[Unit]
Description=Scenario: a model loader
[Service]
$pre
ExecStart=/usr/local/bin/loader $WEIGHTS_PERMILLE $COPY_PERMILLE /run/scenario/$name-ready
EOF2
done
systemctl daemon-reload
systemctl enable --now jmemd.service
wait_until 60 jmemctl status >/dev/null 2>&1 || echo "jmemd did not answer on the bus"

sample() {
  local key value total kib high frozen some full
  while :; do
    kib=- high=- frozen=- some=- full=-
    while read -r key value _; do [ "$key" = MemAvailable: ] && kib=$value && break; done </proc/meminfo
    while read -r key value _; do
      [ "$key" = some ] && some=${value#avg10=}
      [ "$key" = full ] && full=${value#avg10=}
    done </proc/pressure/memory
    { read -r high <$cgroup/memory.high
      while read -r key value; do [ "$key" = frozen ] && frozen=$value; done <$cgroup/cgroup.events; } 2>/dev/null
    echo "t=$EPOCHREALTIME mem_available_kib=$kib psi_some_avg10=$some psi_full_avg10=$full memory_high=$high frozen=$frozen"
    pause 0.1
  done
}
sample >"$share/samples.txt" &
sampler=$!

# The batch at its size, and the page cache full of a file read once.
start_batch() {
  rm -f /run/scenario/batch/inference-peak
  systemctl start batch.service
  wait_until 120 test -e /run/scenario/batch/inference-peak || echo "the batch did not reach its size"
}
fill_cache() {
  [ -e /var/tmp/cache.bin ] || dd if=/dev/zero of=/var/tmp/cache.bin bs=1M count="$CACHE_MIB" status=none
  cat /var/tmp/cache.bin >/dev/null
}
# Ready, or gone: its cgroup empty for a second (it is empty for a moment between ExecStartPre= and
# ExecStart=).
loader_done() {
  [ -e "/run/scenario/$1-ready" ] && return 0
  running "$1.service" && return 1
  pause 1
  [ -e "/run/scenario/$1-ready" ] || ! running "$1.service"
}

start_batch
fill_cache
phase plain_start
systemctl start --no-block loader-plain.service
wait_until 10 running loader-plain.service
wait_until 120 loader_done loader-plain
phase plain_end
cp /run/scenario/loader-plain-ready "$share/plain-ready.txt" 2>/dev/null
pause 3
systemctl stop loader-plain.service
running batch.service || { phase batch_restarted; start_batch; }
# Whatever pressure did to the batch is let go before the next case.
wait_until 60 released || echo "the batch was not released after the plain load"
phase plain_settled

fill_cache
phase room_start
systemctl start --no-block loader.service
# Its cgroup holds jmemctl make-room (ExecStartPre=) first, then the loader.
wait_until 10 running loader.service
wait_until 120 loader_done loader
phase room_end
cp /run/scenario/loader-ready "$share/room-ready.txt" 2>/dev/null
jmemctl --json status >"$share/status-holding.json" 2>&1
cpu_held=$(batch_cpu_usec)
# The hold ends by itself, then the batch is released and works again.
wait_until $((HOLD_S + 60)) released && phase batch_released
pause 3
echo "held=$cpu_held after=$(batch_cpu_usec)" >"$share/batch-cpu.txt"
phase room_settled

# More than can be made: refused with what was done, and why. Then a user who may not ask.
jmemctl --json make-room $((mem_total_kib * 9 / 10 / 1024))M --for loader.service --timeout 30 --hold 1 \
  >"$share/refused.json" 2>&1
echo "rc=$?" >>"$share/refused.json"
phase refused
setpriv --reuid=65534 --regid=65534 --clear-groups jmemctl make-room 10M --for loader.service >"$share/denied.txt" 2>&1
echo "rc=$?" >>"$share/denied.txt"
wait_until 60 released || true
phase end
running batch.service && echo batch=alive >>"$share/batch-cpu.txt"
kill "$sampler"
exit 0
