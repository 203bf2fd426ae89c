#!/usr/bin/env bash
# Starts a private dbus-daemon that behaves like the system bus (same default rules) with jmem's bus
# policy from units/, for machines without a system bus and for tests. Prints the bus address and
# the daemon's PID, one per line. EXTRA_POLICY_DIR adds other services' bus policies (benchmarks
# run peers such as tuned beside jmemd). Point programs at it with DBUS_SYSTEM_BUS_ADDRESS=<address>.
set -euo pipefail
dir=${1:?usage: packaging/private-bus.sh DIR [EXTRA_POLICY_DIR]}
extra=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <include>$root/units/dbus/org.jmem.Governor1.conf</include>
  ${extra:+<includedir>$extra</includedir>}
</busconfig>
CONF
chmod 755 "$dir"
exec dbus-daemon --config-file="$dir/bus.conf" --fork --print-address=1 --print-pid=1
