#!/usr/bin/env bash
# Satchel's balancer against HAProxy and nginx, side by side in one run, same backends, same
# sticky policy, keep-alive, 1 KiB responses, in interleaved rounds: a warm-up round of each (not
# recorded), then satchel, haproxy, nginx, direct, satchel, haproxy, ... so that drift on a shared
# machine falls on all alike. Peak throughput and p99 with wrk (closed loop), every round printed,
# then the median of the per-round ratios satchel / haproxy and satchel / nginx with their range;
# latency at two fixed rates with OpenLoop (open loop, HdrHistogram), in rounds too, minus the same
# rate sent straight to a backend in the same round, gives the latency each balancer adds. The
# load average before the run and the CPU steal during it are printed beside the figures.
#
# Usage: satchel-bench/scripts/balancer-bench.sh [--rounds N] [--smoke] [SECONDS]   (from the repository root)
#   SECONDS  per measurement (default 10); --rounds N: rounds after the warm-up (default 3, at least 3);
#   --smoke: a test of the script: no warm-up round, fewer rounds allowed (default 1), no ratios.
# Needs: java, wrk, haproxy, nginx (installed with apt-get when missing and running as root).
# Traffic stays on 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
ROUNDS=""
SMOKE=no
SECONDS_PER_RUN=10
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --smoke) SMOKE=yes; shift ;;
    *) SECONDS_PER_RUN=$1; shift ;;
  esac
done
if [ "$SMOKE" = yes ]; then ROUNDS=${ROUNDS:-1}; else ROUNDS=${ROUNDS:-3}; fi
if [ "$ROUNDS" -lt 1 ] || { [ "$ROUNDS" -lt 3 ] && [ "$SMOKE" = no ]; }; then
  echo "--rounds $ROUNDS: at least 3 rounds are needed for a median and a range (fewer only with --smoke, which reports no comparison)" >&2
  exit 2
fi
SMOKE_NOTE="smoke run: short rounds on a shared machine to test the harness, not a comparison"
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cd "$(dirname "$0")/../.."
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

declare -A cpu_us p99_us
peak() { # target round -> requests/s; refuses a run in which any answer was not 2xx; records CPU µs per request and p99
  local out before after requests
  before=$(cpu_ticks "${pid[$1]}")
  out=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency -H "Cookie: ${cookie[$1]}" "http://127.0.0.1:${port[$1]}/")
  after=$(cpu_ticks "${pid[$1]}")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1 answered non-2xx under load:" >&2; echo "$out" >&2; exit 1; fi
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  cpu_us[$1,$2]=$(awk -v t=$(( after - before )) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  p99_us[$1,$2]=$(echo "$out" | awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
    printf "%d", v * (u == "s" ? 1e6 : u == "ms" ? 1e3 : 1)}')
  echo "$out" | awk '/Requests\/sec/ {print int($2)}'
}
openloop() { # target rate -> OpenLoop line
  java -Xmx256m -cp "$BENCH" dev.satchel.bench.balancer.OpenLoop "http://127.0.0.1:${port[$1]}/" "$2" "$SECONDS_PER_RUN" 32 "Cookie: ${cookie[$1]}"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
median() { # numbers -> their median
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {printf "%g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ratio() { # a b: "round i of a / round i of b" over the rounds -> median (min–max over N rounds)
  local i list=()
  for i in $(seq 1 "$ROUNDS"); do list+=("$(awk -v a="${rps[$1,$i]}" -v b="${rps[$2,$i]}" 'BEGIN {printf "%.4f", a / b}')"); done
  printf '%s\n' "${list[@]}" | sort -g | awk '{v[NR] = $1} END {
    printf "%.2f× (%.2f–%.2f× over %d rounds)", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR], NR}'
}
cpu_line() { grep '^cpu ' /proc/stat 2>/dev/null || echo none; }
steal() { # two "cpu ..." lines of /proc/stat -> steal as a share of the first eight columns
  awk -v b="$1" -v a="$2" 'BEGIN {
    nb = split(b, x, " "); na = split(a, y, " ");
    if (nb < 9 || na < 9) { print "not shown by this kernel"; exit }
    for (i = 2; i <= 9; i++) total += y[i] - x[i];
    if (total <= 0) { print "not shown by this kernel"; exit }
    printf "%.1f%% of all CPU time", 100 * (y[9] - x[9]) / total }'
}

for t in direct satchel haproxy nginx; do # every target must serve the real page before we time it
  size=$(curl -s -o /dev/null -w '%{http_code}:%{size_download}' -H "Cookie: ${cookie[$t]}" "http://127.0.0.1:${port[$t]}/")
  [ "$size" = "200:1024" ] || { echo "$t answers $size instead of 200:1024" >&2; exit 1; }
done
[ "$SMOKE" = yes ] && echo "** $SMOKE_NOTE **" >&2
stat_before=$(cpu_line)
declare -A rps
first_round=1; [ "$SMOKE" = yes ] || first_round=0
for r in $(seq "$first_round" "$ROUNDS"); do
  for t in satchel haproxy nginx direct; do
    peak $t "$r" > "$work/rps"
    rps[$t,$r]=$(cat "$work/rps")
    if [ "$r" = 0 ]; then echo "warm-up round, not recorded: $t ${rps[$t,$r]} req/s" >&2
    else echo "round $r of $ROUNDS: $t ${rps[$t,$r]} req/s, p99 ${p99_us[$t,$r]} µs" >&2; fi
  done
done

# Latency is compared at one rate for all, twice: a light 2,000 req/s, where the machine has room
# and the figure is what the balancer itself adds, and 70% of the lowest median peak. Testing each
# at 70% of its own peak would load the 2-core machine (generator, balancer, backend) unequally.
declare -A lat
lowest=$(for t in satchel haproxy nginx; do median $(for r in $(seq 1 "$ROUNDS"); do echo "${rps[$t,$r]}"; done); echo; done | sort -g | head -1)
rates="2000 $(awk -v l="$lowest" 'BEGIN {printf "%d", l * 0.7}')"
for rate in $rates; do
  for r in $(seq 1 "$ROUNDS"); do
    for t in direct satchel haproxy nginx; do
      lat[$t,$rate,$r]=$(openloop $t "$rate")
      echo "round $r of $ROUNDS at $rate req/s: $t ${lat[$t,$rate,$r]}" >&2
    done
  done
done
steal_during=$(steal "$stat_before" "$(cpu_line)")

echo
[ "$SMOKE" = yes ] && { echo "**$SMOKE_NOTE.**"; echo; }
echo "Machine: load average before the run $load_before (1, 5, 15 min); CPU steal during the run $steal_during."
echo
echo "Peak throughput (wrk, 64 connections, ${SECONDS_PER_RUN} s), every round: req/s, p99 µs; then medians."
echo
printf '| balancer |'; for r in $(seq 1 "$ROUNDS"); do printf ' round %s |' "$r"; done
echo " median req/s | median p99 µs | median CPU µs per request |"
printf '| --- |'; for r in $(seq 1 "$ROUNDS"); do printf ' --- |'; done; echo " --- | --- | --- |"
for t in satchel haproxy nginx direct; do
  label=$t; [ $t = direct ] && label="(direct to a backend)"
  printf '| %s |' "$label"
  for r in $(seq 1 "$ROUNDS"); do printf ' %s, p99 %s |' "${rps[$t,$r]}" "${p99_us[$t,$r]}"; done
  printf ' %s | %s | %s |\n' \
    "$(median $(for r in $(seq 1 "$ROUNDS"); do echo "${rps[$t,$r]}"; done))" \
    "$(median $(for r in $(seq 1 "$ROUNDS"); do echo "${p99_us[$t,$r]}"; done))" \
    "$(median $(for r in $(seq 1 "$ROUNDS"); do echo "${cpu_us[$t,$r]}"; done))"
done
echo
if [ "$SMOKE" = yes ]; then
  echo "No ratios: $SMOKE_NOTE."
else
  echo "Round i of satchel over round i of the other: the median of the peak ratios and their range."
  echo
  echo "- satchel / haproxy: $(ratio satchel haproxy)"
  echo "- satchel / nginx: $(ratio satchel nginx)"
fi
for rate in $rates; do
  echo
  echo "At $rate req/s (open loop, 32 connections, ${SECONDS_PER_RUN} s), every round: p50 / p99 µs, and added over"
  echo "the same rate sent direct to a backend in the same round; then the medians of the added figures."
  echo
  printf '| target |'; for r in $(seq 1 "$ROUNDS"); do printf ' round %s |' "$r"; done
  echo " median p50 added µs | median p99 added µs | errors |"
  printf '| --- |'; for r in $(seq 1 "$ROUNDS"); do printf ' --- |'; done; echo " --- | --- | --- |"
  for t in direct satchel haproxy nginx; do
    printf '| %s |' "$t"
    a50=(); a99=(); errors=0
    for r in $(seq 1 "$ROUNDS"); do
      line=${lat[$t,$rate,$r]}; direct=${lat[direct,$rate,$r]}
      p50=$(field "$line" p50); p99=$(field "$line" p99)
      a50+=($(( p50 - $(field "$direct" p50) ))); a99+=($(( p99 - $(field "$direct" p99) )))
      errors=$(( errors + $(field "$line" errors) ))
      printf ' %s / %s |' "$p50" "$p99"
    done
    if [ $t = direct ]; then printf ' | | %s |\n' "$errors"
    else printf ' %s | %s | %s |\n' "$(median "${a50[@]}")" "$(median "${a99[@]}")" "$errors"; fi
  done
done
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
