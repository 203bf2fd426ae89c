# Sourced by a VM payload as /share/jmem/install.sh POLICY: installs jmemd, jmemctl, jmemd.service and
# the bus policy where the package puts them, and /share/jmem/POLICY as /etc/jmem/policy.toml. On the
# VM's own disk: a binary paged in over 9p under memory pressure would measure the share, not jmemd.
install -m 0755 /share/jmem/jmemd /usr/sbin/jmemd
install -m 0755 /share/jmem/jmemctl /usr/bin/jmemctl
install -m 0644 /share/jmem/jmemd.service /etc/systemd/system/jmemd.service
install -m 0644 /share/jmem/org.jmem.Governor1.conf /etc/dbus-1/system.d/org.jmem.Governor1.conf
install -D -m 0644 "/share/jmem/$1" /etc/jmem/policy.toml
systemctl reload dbus.service
if ! /usr/sbin/jmemd --check-config; then
  echo "install.sh: the policy $1 is invalid"
  exit 1
fi
