#!/usr/bin/env bash
# Runs the fuzz targets built by `make fuzz-build` and writes one summary line per target.
#
#   fuzz/run.sh [--runs N] [--seconds S] [--targets "a b"] [--out DIR] [--build DIR]
#
# --runs N: stop each target after N executions (default 1000000); --seconds S: after S seconds
# (alone: no run limit); both: whichever comes first.
# Each target starts from its committed seeds (fuzz/corpus/<target>/, never written to) plus a
# working corpus DIR/<target>/corpus that keeps what earlier runs found. A crash, a hang longer
# than 10 s, more than 2048 MB of memory or a sanitizer report stops the target, leaves the input
# in DIR/<target>/ (crash-*, timeout-*, oom-*, leak-*) and makes the script exit 1 after the rest.
set -u
cd "$(dirname "$0")/.."

runs=""
seconds=""
targets="safetensors config catalog tokenizer tokenizer-files membrane ckpt"
out="out/fuzz"
build=".build-fuzz/release"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    *) echo "fuzz/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -z "$runs" ] && [ -z "$seconds" ] && runs=1000000

# Longest input per target: several times the largest seed.
max_len() {
  case "$1" in
    ckpt) echo 32768 ;;
    tokenizer-files) echo 8192 ;;
    tokenizer) echo 1024 ;;
    *) echo 4096 ;;
  esac
}
dictionary() {
  case "$1" in
    safetensors|membrane) echo "fuzz/dict/safetensors.dict" ;;
    config|catalog) echo "fuzz/dict/yaml.dict" ;;
    *) echo "" ;;
  esac
}

mkdir -p "$out"
summary="$out/summary.txt"
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
{
  echo "# fuzz run $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), CPU: ${cpu:-unknown}"
  printf '%-16s %12s %10s %9s %8s %s\n' target executions exec/s seconds findings status
} > "$summary"

failed=0
for target in $targets; do
  binary="$build/fuzz-$target"
  if [ ! -x "$binary" ]; then
    echo "fuzz/run.sh: $binary is missing; run make fuzz-build" >&2
    exit 2
  fi
  work="$out/$target"
  mkdir -p "$work/corpus"
  rm -f "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-*
  limit=()
  [ -n "$runs" ] && limit+=(-runs="$runs")
  [ -n "$seconds" ] && limit+=(-max_total_time="$seconds")
  dict=$(dictionary "$target")
  flags=(-max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$work/" "${limit[@]}")
  [ -n "$dict" ] && flags+=(-dict="$dict")
  # Foundation's Data(contentsOf:) leaks its 4 KB buffer when it reads an empty file (the
  # tokenizer files are read from disk); leaks are not checked for that target.
  asan="${ASAN_OPTIONS:-}"
  [ "$target" = tokenizer-files ] && { flags+=(-detect_leaks=0); asan="detect_leaks=0${asan:+:$asan}"; }
  echo "fuzz: $target ${limit[*]}"
  start=$(date +%s.%N)
  ASAN_OPTIONS="$asan" SWIFT_BACKTRACE=enable=no "$binary" "${flags[@]}" "$work/corpus" "fuzz/corpus/$target" > "$work/log.txt" 2>&1
  status=$?
  elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log.txt" | tail -1)
  findings=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
  result="ok"
  if [ "$status" -ne 0 ] || [ "$findings" -ne 0 ]; then
    result="FAILED (exit $status; see $work/log.txt)"
    failed=1
    grep -E 'ERROR|SUMMARY|Fatal error|deadly signal|Test unit written' "$work/log.txt" | head -8 >&2
  fi
  printf '%-16s %12s %10s %9s %8s %s\n' "$target" "${executions:-?}" "${rate:-?}" "$elapsed" "$findings" "$result" | tee -a "$summary"
done
echo "fuzz: summary in $summary"
exit $failed
