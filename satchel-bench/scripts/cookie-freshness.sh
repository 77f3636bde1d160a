#!/bin/sh
# The sealed-cookie freshness check, off and on, in interleaved rounds (off, on, off, on, ...), so
# that a shared machine's drift falls on both settings alike. Prints one line per run; compare the
# median of the on/off ratios of each round. Build first:
#   mvn -B -DskipTests -pl satchel-bench -am package
# Usage: [ROUNDS=4] [JAR=...] [JMH_ARGS='-f 1 -i 1'] sh satchel-bench/scripts/cookie-freshness.sh
# (from the repository root; JMH_ARGS go to every run, e.g. to make a smoke run short)
set -eu
case ${1:-} in -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
ROUNDS=${ROUNDS:-4}
JAR=${JAR:-satchel-bench/target/benchmarks.jar}
for record in memory redis; do
  round=1
  while [ "$round" -le "$ROUNDS" ]; do
    for freshness in off on; do
      score=$(java -jar "$JAR" CookieFreshnessBenchmark ${JMH_ARGS:-} -p record="$record" -p freshness="$freshness" -rf csv \
        -rff /tmp/cookie-freshness.csv >/dev/null && tail -1 /tmp/cookie-freshness.csv | cut -d, -f5)
      echo "record=$record round=$round freshness=$freshness us_per_request=$score"
    done
    round=$((round + 1))
  done
done
