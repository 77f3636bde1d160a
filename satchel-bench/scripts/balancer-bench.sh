#!/usr/bin/env bash
# Satchel's balancer against HAProxy and nginx, side by side in one run, same backends, same
# sticky policy, keep-alive, 1 KiB responses. Peak throughput with wrk (closed loop); latency at 70%
# of each balancer's own peak with OpenLoop (open loop, HdrHistogram), minus the same rate sent
# straight to a backend, gives the latency each balancer adds.
#
# Usage: satchel-bench/scripts/balancer-bench.sh [SECONDS]   (from the repository root)
# Needs: java, wrk, haproxy, nginx (installed with apt-get when missing and running as root).
# Traffic stays on 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
case ${1:-} in -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
JAR=satchel-dist/target/satchel.jar
BENCH=satchel-bench/target/benchmarks.jar
[ -f "$JAR" ] && [ -f "$BENCH" ] || mvn -B -q -DskipTests package
for tool in wrk haproxy nginx; do
  if ! command -v $tool >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "install $tool first (apt-get install -y wrk haproxy nginx)"; exit 1; }
    apt-get install -y -qq wrk haproxy nginx >/dev/null
  fi
done

work=$(mktemp -d)
chmod 755 "$work" # nginx workers drop root and must read the page
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_port() { for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }

# Three backends: one nginx worker serving a 1 KiB body on three ports.
mkdir -p "$work/www" "$work/backend/logs" "$work/proxy/logs"
head -c 1024 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
cat > "$work/backend.conf" <<CONF
worker_processes 1;
error_log $work/backend/logs/error.log warn;
pid $work/backend/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:19001; root $work/www; location = /health { return 200 "ok"; } }
  server { listen 127.0.0.1:19002; root $work/www; location = /health { return 200 "ok"; } }
  server { listen 127.0.0.1:19003; root $work/www; location = /health { return 200 "ok"; } }
}
CONF
nginx -p "$work/backend" -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)
wait_port 19001

nodes=(--node node-1=127.0.0.1:19001 --node node-2=127.0.0.1:19002 --node node-3=127.0.0.1:19003)

# Satchel, and the same configuration exported for the peers.
java -Xmx512m -jar "$JAR" balancer --port 18080 --admin-port 18081 --policy sticky-cookie "${nodes[@]}" >/dev/null 2>&1 & pids+=($!)
satchel_pid=$!
java -jar "$JAR" balancer --port 18082 --admin-port 1 --policy sticky-cookie "${nodes[@]}" --export haproxy > "$work/haproxy.cfg"
java -jar "$JAR" balancer --port 18083 --admin-port 1 --policy sticky-cookie "${nodes[@]}" --export nginx > "$work/nginx-upstream.conf"
haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & pids+=($!)
haproxy_pid=$!
cat > "$work/proxy.conf" <<CONF
worker_processes 2;
error_log $work/proxy/logs/error.log warn;
pid $work/proxy/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  include $work/nginx-upstream.conf;
}
CONF
nginx -p "$work/proxy" -c "$work/proxy.conf" -g 'daemon off;' & pids+=($!)
nginx_pid=$!
wait_port 18080; wait_port 18082; wait_port 18083
sleep 2 # the balancers' first health checks

# Every client is pinned to one node, as a logged-in user would be.
satchel_cookie=$(curl -si http://127.0.0.1:18080/ | tr -d '\r' | grep -i '^set-cookie: SATCHEL_NODE=' | sed 's/^[^:]*: //; s/;.*//')
haproxy_cookie=$(curl -si http://127.0.0.1:18082/ | tr -d '\r' | grep -i '^set-cookie: SATCHEL_NODE=' | sed 's/^[^:]*: //; s/;.*//')
nginx_cookie="SID=bench-session"
declare -A pid=([satchel]=$satchel_pid [haproxy]=$haproxy_pid [nginx]=$nginx_pid [direct]=$(cat "$work/backend/nginx.pid"))
cpu_ticks() { # user+system clock ticks of a process and its children (nginx workers)
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do total=$(( total + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done
  echo $total
}
declare -A port=([direct]=19001 [satchel]=18080 [haproxy]=18082 [nginx]=18083)
declare -A cookie=([direct]="X=y" [satchel]="$satchel_cookie" [haproxy]="$haproxy_cookie" [nginx]="$nginx_cookie")

declare -A cpu_us
peak() { # target -> requests/s; refuses a run in which any answer was not 2xx; records CPU µs per request
  local out before after requests
  before=$(cpu_ticks "${pid[$1]}")
  out=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -H "Cookie: ${cookie[$1]}" "http://127.0.0.1:${port[$1]}/")
  after=$(cpu_ticks "${pid[$1]}")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1 answered non-2xx under load:" >&2; echo "$out" >&2; exit 1; fi
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  cpu_us[$1]=$(awk -v t=$(( after - before )) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  echo "$out" | awk '/Requests\/sec/ {print int($2)}'
}
openloop() { # target rate -> OpenLoop line
  java -Xmx256m -cp "$BENCH" dev.satchel.bench.balancer.OpenLoop "http://127.0.0.1:${port[$1]}/" "$2" "$SECONDS_PER_RUN" 32 "Cookie: ${cookie[$1]}"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

for t in direct satchel haproxy nginx; do # every target must serve the real page before we time it
  size=$(curl -s -o /dev/null -w '%{http_code}:%{size_download}' -H "Cookie: ${cookie[$t]}" "http://127.0.0.1:${port[$t]}/")
  [ "$size" = "200:1024" ] || { echo "$t answers $size instead of 200:1024" >&2; exit 1; }
done
echo "warming up..." >&2
for t in satchel haproxy nginx direct; do wrk -t2 -c64 -d3s -H "Cookie: ${cookie[$t]}" "http://127.0.0.1:${port[$t]}/" >/dev/null; done

declare -A rps
for t in direct satchel haproxy nginx; do peak $t > "$work/rps.$t"; rps[$t]=$(cat "$work/rps.$t"); echo "peak $t: ${rps[$t]} req/s" >&2; done

# Latency is compared at one rate for all, twice: a light 2,000 req/s, where the machine has room
# and the figure is what the balancer itself adds, and 70% of the lowest peak. Testing each at 70%
# of its own peak would load the 2-core machine (generator, balancer, backend) unequally.
lowest=$(printf '%s\n' "${rps[satchel]}" "${rps[haproxy]}" "${rps[nginx]}" | sort -n | head -1)
echo
echo "| balancer | peak req/s (wrk, 64 conns) | peak vs satchel | CPU µs per request at peak |"
echo "| --- | --- | --- | --- |"
for t in satchel haproxy nginx; do
  echo "| $t | ${rps[$t]} | $(awk -v a="${rps[$t]}" -v b="${rps[satchel]}" 'BEGIN {printf "%.2f", a / b}') | ${cpu_us[$t]} |"
done
echo "| (direct to a backend) | ${rps[direct]} | | |"
for rate in 2000 $(( lowest * 7 / 10 )); do
  direct=$(openloop direct $rate)
  dp50=$(field "$direct" p50); dp99=$(field "$direct" p99)
  echo
  echo "At $rate req/s (open loop, 32 connections): direct to a backend p50 $dp50 µs, p99 $dp99 µs."
  echo
  echo "| balancer | p50 µs | p99 µs | p99.9 µs | p50 added µs | p99 added µs | errors |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for t in satchel haproxy nginx; do
    through=$(openloop $t $rate)
    p50=$(field "$through" p50); p99=$(field "$through" p99)
    echo "| $t | $p50 | $p99 | $(field "$through" p999) | $(( p50 - dp50 )) | $(( p99 - dp99 )) | $(field "$through" errors) |"
  done
done
echo
echo "direct to one backend: ${rps[direct]} req/s peak. $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
