#!/usr/bin/env bash
# Satchel's balancer under several JVM option sets, side by side in one run: one balancer process
# per option set, same three nginx backends (1 KiB page), sticky client, in interleaved rounds (a
# warm-up round, not counted, then each set in turn, round after round). Peak with wrk (2 threads,
# 64 connections) and the balancer's CPU per request; then per set the median over the rounds of
# its ratio to the first set's figure in the same round, with the range.
#
# Usage: satchel-bench/scripts/balancer-jvm-options-bench.sh [--rounds N] [SECONDS]   (from the repository root)
#   --rounds N: counted rounds (default 6, at least 3); SECONDS per measurement (default 10).
#   Option sets, one "name|options" per line, from $VARIANTS (a file) or the default: G1 (the JVM's
#   default), ParallelGC, Netty's leak detection off, and both.
# Needs: java, wrk, nginx. Traffic stays on 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
ROUNDS=6
SECS=10
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) SECS=$1; shift ;;
  esac
done
[ "$ROUNDS" -ge 3 ] || { echo "--rounds $ROUNDS: at least 3 rounds are needed for a median and a range" >&2; exit 2; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cd "$(dirname "$0")/../.."
JAR=satchel-dist/target/satchel.jar
[ -f "$JAR" ] || mvn -B -q -DskipTests package
for tool in wrk nginx; do command -v $tool >/dev/null || { echo "install $tool first (apt-get install -y wrk nginx)" >&2; exit 1; }; done

work=$(mktemp -d); chmod 755 "$work"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

mkdir -p "$work/www" "$work/backend/logs"
head -c 1024 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
cat > "$work/backend.conf" <<CONF
worker_processes 1;
error_log $work/backend/logs/error.log warn;
pid $work/backend/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:19001; root $work/www; location = /health { return 200 "ok"; } }
  server { listen 127.0.0.1:19002; root $work/www; location = /health { return 200 "ok"; } }
  server { listen 127.0.0.1:19003; root $work/www; location = /health { return 200 "ok"; } } }
CONF
nginx -p "$work/backend" -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)
wait_port 19001
nodes=(--node node-1=127.0.0.1:19001 --node node-2=127.0.0.1:19002 --node node-3=127.0.0.1:19003)

if [ -n "${VARIANTS:-}" ]; then sets=$(cat "$VARIANTS"); else sets='g1|
parallel-gc|-XX:+UseParallelGC
no-leak-detection|-Dio.netty.leakDetection.level=disabled
both|-XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled'; fi
declare -A port pid cookie rps cpu
names=(); i=0
while IFS='|' read -r name options; do
  [ -z "$name" ] && continue
  names+=("$name"); port[$name]=$((18180 + 2 * i))
  # shellcheck disable=SC2086 # the options are words
  java -Xmx512m $options -jar "$JAR" balancer --port "${port[$name]}" --admin-port $((18181 + 2 * i)) \
    --policy sticky-cookie "${nodes[@]}" >/dev/null 2>&1 & pids+=($!)
  pid[$name]=$!; i=$((i + 1))
done <<< "$sets"
for n in "${names[@]}"; do wait_port "${port[$n]}"; done
sleep 3 # the first health checks
for n in "${names[@]}"; do
  cookie[$n]=$(curl -si "http://127.0.0.1:${port[$n]}/" | tr -d '\r' | grep -i '^set-cookie: SATCHEL_NODE=' | sed 's/^[^:]*: //; s/;.*//')
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq 0 "$ROUNDS"); do
  for n in "${names[@]}"; do
    before=$(ticks "${pid[$n]}")
    out=$(wrk -t2 -c64 -d"${SECS}s" -H "Cookie: ${cookie[$n]}" "http://127.0.0.1:${port[$n]}/")
    after=$(ticks "${pid[$n]}")
    if echo "$out" | grep -q "Non-2xx"; then echo "$n answered non-2xx under load:" >&2; echo "$out" >&2; exit 1; fi
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps[$n,$r]=$(echo "$out" | awk '/Requests\/sec/ {print int($2)}')
    cpu[$n,$r]=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v q="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / q}')
    label="round $r of $ROUNDS"; [ "$r" = 0 ] && label="warm-up round, not counted"
    echo "$label: $n ${rps[$n,$r]} req/s, ${cpu[$n,$r]} CPU µs per request" >&2
  done
done
ratio() { # figure set -> median (min–max) over the rounds of set / first set
  local i list=()
  for i in $(seq 1 "$ROUNDS"); do
    if [ "$1" = rps ]; then list+=("$(awk -v a="${rps[$2,$i]}" -v b="${rps[${names[0]},$i]}" 'BEGIN {printf "%.4f", a / b}')")
    else list+=("$(awk -v a="${cpu[$2,$i]}" -v b="${cpu[${names[0]},$i]}" 'BEGIN {printf "%.4f", a / b}')"); fi
  done
  printf '%s\n' "${list[@]}" | sort -g | awk '{v[NR] = $1} END {
    printf "%.2f× (%.2f–%.2f×)", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR]}'
}
echo
echo "Against ${names[0]}, round by round over $ROUNDS rounds of ${SECS} s: median ratio (range)."
echo
echo "| options | peak | CPU per request |"
echo "| --- | ---: | ---: |"
for n in "${names[@]:1}"; do echo "| $n | $(ratio rps "$n") | $(ratio cpu "$n") |"; done
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), load average before the run $load_before (1, 5, 15 min)"
