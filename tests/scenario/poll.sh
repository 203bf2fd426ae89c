# Sourced by the scenarios' payloads inside the VM (run.sh, make_room.sh): waiting and polling with
# bash builtins only. A process started every 100 ms near the OOM point would page its binary and
# libraries back in, and that reclaim "progress" keeps the kernel's OOM killer away.

mkdir -p /run/scenario
mkfifo /run/scenario/tick
exec 3<>/run/scenario/tick
# pause SECONDS: sleeps without starting a process (a read that times out on a fifo nobody writes).
pause() { read -r -t "$1" -u 3 || true; }

# wait_until SECONDS COMMAND...: polls COMMAND every 100 ms until it succeeds; 1 after the deadline.
wait_until() {
  local deadline=$((EPOCHSECONDS + $1))
  shift
  until "$@"; do
    ((EPOCHSECONDS >= deadline)) && return 1
    pause 0.1
  done
}

# running UNIT: whether the unit's cgroup holds a process (systemd removes it when the unit ends).
running() {
  local line
  { while read -r line; do [ "$line" = "populated 1" ] && return 0; done \
      </sys/fs/cgroup/system.slice/$1/cgroup.events; } 2>/dev/null
  return 1
}
