# Sourced by the deploy tests. pick_port_offset prints a random IM_PORT_OFFSET
# for a test cluster: every port the launcher or compose uses (7000 + offset ..
# 16379 + offset) lies above the default ports, so a test runs beside a cluster
# on the defaults, and below the kernel's ephemeral port range, where outgoing
# connections and bind(0) (the C++ tests' PickFreePort, run in parallel by
# ctest) take their ports. Offsets inside that range collided with a parallel
# test's MariaDB in CI ("Bind on TCP/IP port ... Address already in use").
pick_port_offset() {
  local ephemeral_low=32768 rest
  read -r ephemeral_low rest < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  local min=9400                         # 7000 + min > 16379, the highest default
  local max=$(( ephemeral_low - 16400 )) # 16379 + max < ephemeral_low
  if [ "$max" -le "$min" ]; then
    echo "pick_port_offset: ephemeral ports start at $ephemeral_low; no room below them" >&2
    return 1
  fi
  echo $(( min + RANDOM % (max - min) ))
}
