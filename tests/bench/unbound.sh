# Sourced by the DNS benchmarks.  unbound_conf IP DIR ZONE...: an unbound
# configuration serving local-data of the static ZONEs on IP:53 from the
# foreground, refusing everything else (nothing is ever asked of the
# Internet); the caller appends its local-data lines.
unbound_conf() {
  local ip=$1 dir=$2; shift 2
  cat <<C
server:
  interface: $ip
  port: 53
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$dir"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  so-rcvbuf: 4m
  so-sndbuf: 4m
  local-zone: "." refuse
C
  for z in "$@"; do echo "  local-zone: \"$z.\" static"; done
}
