#!/usr/bin/env bash
# TLS termination: Satchel's balancer on each of its TLS engines (OpenSSL's API on BoringSSL through
# netty-tcnative, its default; the JDK's) against HAProxy, all with the same certificate (EC P-256,
# made by openssl for this run) in front of the same backends, side by side in interleaved rounds:
# a warm-up round of each (not recorded), then satchel, satchel-jdk, haproxy, satchel, ... Two loads:
#   requests  wrk over kept-alive TLS connections (64), 1 KiB responses: the cost of a request;
#   handshakes  wrk with "Connection: close", so every request is a new TCP connection and a full
#               TLS handshake (wrk keeps no TLS session between connections): the cost of a handshake.
# Each round prints requests/s and the balancer's CPU µs per request; then the median of the
# per-round ratios to haproxy with their range, and the machine's load and CPU steal.
#
# Usage: satchel-bench/scripts/tls-bench.sh [--rounds N] [--smoke] [SECONDS]   (from the repository root)
#   SECONDS per measurement (default 10); --rounds N after the warm-up (default 3, at least 3);
#   --smoke: a test of the script, 1 round, no warm-up, no ratios.
# Needs: java, wrk, haproxy, nginx, openssl (installed with apt-get when missing and running as root).
# Traffic stays on 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
ROUNDS=""
SMOKE=no
SECONDS_PER_RUN=10
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --smoke) SMOKE=yes; shift ;;
    *) SECONDS_PER_RUN=$1; shift ;;
  esac
done
if [ "$SMOKE" = yes ]; then ROUNDS=${ROUNDS:-1}; else ROUNDS=${ROUNDS:-3}; fi
if [ "$ROUNDS" -lt 1 ] || { [ "$ROUNDS" -lt 3 ] && [ "$SMOKE" = no ]; }; then
  echo "--rounds $ROUNDS: at least 3 rounds are needed for a median and a range (fewer only with --smoke)" >&2
  exit 2
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cd "$(dirname "$0")/../.."
JAR=satchel-dist/target/satchel.jar
[ -f "$JAR" ] || mvn -B -q -DskipTests package
for tool in wrk haproxy nginx openssl; do
  if ! command -v $tool >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "install $tool first (apt-get install -y wrk haproxy nginx openssl)"; exit 1; }
    apt-get install -y -qq wrk haproxy nginx openssl >/dev/null
  fi
done

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/haproxy.pem"

mkdir -p "$work/www" "$work/backend/logs"
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
}
CONF
nginx -p "$work/backend" -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)
wait_port 19001
nodes=(--node node-1=127.0.0.1:19001 --node node-2=127.0.0.1:19002)

java -Xmx512m -Dsatchel.balancer.tls-engine=openssl -jar "$JAR" balancer --port 18443 --admin-port 18444 \
  --policy round-robin "${nodes[@]}" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" >/dev/null 2>&1 & pids+=($!)
satchel_pid=$!
java -Xmx512m -Dsatchel.balancer.tls-engine=jdk -jar "$JAR" balancer --port 18446 --admin-port 18447 \
  --policy round-robin "${nodes[@]}" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" >/dev/null 2>&1 & pids+=($!)
satchel_jdk_pid=$!
# HAProxy from Satchel's own export, with the same certificate on its bind line and TLS 1.2 as
# the floor, as Satchel's, and the same TLS 1.3 suites in the same order: all settle on AES-128-GCM.
java -jar "$JAR" balancer --port 18445 --admin-port 1 --policy round-robin "${nodes[@]}" --export haproxy \
  | sed "s|^    bind 127.0.0.1:18445\$|    bind 127.0.0.1:18445 ssl crt $work/haproxy.pem ssl-min-ver TLSv1.2 ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256|" \
  | sed 's|X-Forwarded-Proto http$|X-Forwarded-Proto https|' > "$work/haproxy.cfg"
grep -q "ssl crt" "$work/haproxy.cfg" || { echo "could not put TLS on HAProxy's bind line" >&2; exit 1; }
haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & pids+=($!)
haproxy_pid=$!
wait_port 18443; wait_port 18445; wait_port 18446
sleep 2
contenders=(satchel satchel-jdk haproxy)
declare -A pid=([satchel]=$satchel_pid [satchel-jdk]=$satchel_jdk_pid [haproxy]=$haproxy_pid)
declare -A port=([satchel]=18443 [satchel-jdk]=18446 [haproxy]=18445)
for t in "${contenders[@]}"; do
  got=$(curl -sk -o /dev/null -w '%{http_code}:%{size_download}:%{ssl_verify_result}' "https://127.0.0.1:${port[$t]}/")
  [ "${got%:*}" = "200:1024" ] || { echo "$t answers $got over TLS instead of 200:1024" >&2; exit 1; }
  echo "$t: $(echo | openssl s_client -connect 127.0.0.1:${port[$t]} 2>/dev/null | grep -m1 -E '^New, ')" >&2
done

cpu_ticks() { local total=0 p; for p in $1 $(pgrep -P "$1" || true); do total=$(( total + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo $total; }
declare -A rps cpu
run() { # target mode round
  local out before after requests extra=()
  [ "$2" = handshakes ] && extra=(-H "Connection: close")
  before=$(cpu_ticks "${pid[$1]}")
  out=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" "${extra[@]}" "https://127.0.0.1:${port[$1]}/")
  after=$(cpu_ticks "${pid[$1]}")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1 answered non-2xx:" >&2; echo "$out" >&2; exit 1; fi
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rps[$1,$2,$3]=$(echo "$out" | awk '/Requests\/sec/ {print int($2)}')
  cpu[$1,$2,$3]=$(awk -v t=$(( after - before )) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {printf "%g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { # array-name mode contender -> median (min–max) of contender/haproxy per round
  local -n a=$1; local i list=()
  for i in $(seq 1 "$ROUNDS"); do list+=("$(awk -v x="${a[$3,$2,$i]}" -v y="${a[haproxy,$2,$i]}" 'BEGIN {printf "%.4f", x / y}')"); done
  printf '%s\n' "${list[@]}" | sort -g | awk '{v[NR] = $1} END {
    printf "%.2f× (%.2f–%.2f× over %d rounds)", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR], NR}'
}
stat_before=$(grep '^cpu ' /proc/stat)
first_round=1; [ "$SMOKE" = yes ] || first_round=0
for mode in requests handshakes; do
  for r in $(seq "$first_round" "$ROUNDS"); do
    for t in "${contenders[@]}"; do
      run $t $mode "$r"
      label="round $r of $ROUNDS"; [ "$r" = 0 ] && label="warm-up round, not recorded"
      echo "$mode, $label: $t ${rps[$t,$mode,$r]} req/s, ${cpu[$t,$mode,$r]} µs CPU per request" >&2
    done
  done
done
steal_during=$(awk -v b="$stat_before" -v a="$(grep '^cpu ' /proc/stat)" 'BEGIN {
  split(b, x, " "); split(a, y, " "); for (i = 2; i <= 9; i++) total += y[i] - x[i];
  printf "%.1f%%", (total > 0 ? 100 * (y[9] - x[9]) / total : 0) }')

echo
[ "$SMOKE" = yes ] && { echo "**Smoke run: short rounds to test the script, not a comparison.**"; echo; }
echo "Machine: load average before the run $load_before (1, 5, 15 min); CPU steal during the run $steal_during."
for mode in requests handshakes; do
  echo
  if [ $mode = requests ]; then echo "Requests over kept-alive TLS connections (wrk, 64 connections, ${SECONDS_PER_RUN} s): req/s, balancer CPU µs per request."
  else echo "A new connection and full TLS handshake per request (wrk, Connection: close, 64 at a time, ${SECONDS_PER_RUN} s): handshakes/s, balancer CPU µs per handshake."; fi
  echo
  printf '| balancer |'; for r in $(seq 1 "$ROUNDS"); do printf ' round %s |' "$r"; done; echo " median per s | median CPU µs |"
  printf '| --- |'; for r in $(seq 1 "$ROUNDS"); do printf ' --- |'; done; echo " --- | --- |"
  for t in "${contenders[@]}"; do
    printf '| %s |' "$t"
    for r in $(seq 1 "$ROUNDS"); do printf ' %s, %s µs |' "${rps[$t,$mode,$r]}" "${cpu[$t,$mode,$r]}"; done
    printf ' %s | %s |\n' "$(median $(for r in $(seq 1 "$ROUNDS"); do echo "${rps[$t,$mode,$r]}"; done))" \
      "$(median $(for r in $(seq 1 "$ROUNDS"); do echo "${cpu[$t,$mode,$r]}"; done))"
  done
  if [ "$SMOKE" = no ]; then
    echo
    for t in satchel satchel-jdk; do
      echo "- $t / haproxy, throughput: $(ratio rps $mode $t); CPU per request: $(ratio cpu $mode $t)"
    done
  fi
done
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(openssl version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
