#!/bin/bash
# `make results`: trains the ShapesWorld membranes, evaluates them, and writes docs/results.md
# (bench/results.py formats the report.json files and records date, CPU, commit and commands).
#
# Settings (environment; the Makefile passes its variables of the same names):
#   MEMBRANE            membrane binary (default .build/release/membrane)
#   RESULTS_SEEDS       pictures per prompt in every evaluation (default 4)
#   RESULTS_ITERATIONS  training iterations (default: the configs' own, 300)
#   RESULTS_STEPS       sampling steps of the evaluations (default: evaluate's own, 30)
#   RESULTS_OUT         folder for membranes and evaluation reports (default out/results)
#   RESULTS_DOC         the page written (default docs/results.md)
#   SHARED_MODELS       folder with shapesworld-a-pastel and the models with a SYNONYMS.json (../shared/models)
# A quick smoke run of the whole chain:
#   RESULTS_SEEDS=1 RESULTS_ITERATIONS=5 RESULTS_STEPS=5 RESULTS_OUT=/tmp/r RESULTS_DOC=/tmp/r/results.md bench/results.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MEMBRANE=${MEMBRANE:-.build/release/membrane}
SEEDS=${RESULTS_SEEDS:-4}
ITERATIONS=${RESULTS_ITERATIONS:-}
STEPS=${RESULTS_STEPS:-}
OUT=${RESULTS_OUT:-out/results}
DOC=${RESULTS_DOC:-docs/results.md}
SHARED_MODELS=${SHARED_MODELS:-../shared/models}
TRANSPORTS=fixed:1.0,facilitated-reference,facilitated

if [ ! -x "$MEMBRANE" ]; then
    echo "results: $MEMBRANE is missing; build it with \`make build\` (make results does)" >&2
    exit 1
fi

overrides=()
[ "$SEEDS" != 4 ] && overrides+=("RESULTS_SEEDS=$SEEDS")
[ -n "$ITERATIONS" ] && overrides+=("RESULTS_ITERATIONS=$ITERATIONS")
[ -n "$STEPS" ] && overrides+=("RESULTS_STEPS=$STEPS")
train_extra=()
[ -n "$ITERATIONS" ] && train_extra=(--iterations "$ITERATIONS")
evaluate_extra=(--seeds "$SEEDS")
[ -n "$STEPS" ] && evaluate_extra+=(--steps "$STEPS")

started=$(date -u '+%Y-%m-%d %H:%M UTC')
mkdir -p "$OUT"
rm -rf "$OUT"/red.safetensors "$OUT"/triangle.safetensors "$OUT"/red-preserving.safetensors "$OUT"/eval-*
commands="$OUT/commands.tsv"
: >"$commands"

# One argument as a shell word: as it is when it holds only safe characters, else quoted.
word() {
    if [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then printf '%s' "$1"; else printf '%q' "$1"; fi
}

# Runs a command, echoing it, and appends "seconds<TAB>command" to $commands.
run() {
    local line="" arg start end
    for arg in "$@"; do line+="${line:+ }$(word "$arg")"; done
    echo "+ $line"
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    printf '%s\t%s\n' "$(echo "$end - $start" | awk '{print $1 - $3}')" "$line" >>"$commands"
}

run "$MEMBRANE" train --config configs/shapesworld/red.yaml "${train_extra[@]}" --out "$OUT/red.safetensors"
run "$MEMBRANE" train --config configs/shapesworld/triangle.yaml "${train_extra[@]}" --out "$OUT/triangle.safetensors"
run "$MEMBRANE" train --config configs/shapesworld/red-preserving.yaml "${train_extra[@]}" --out "$OUT/red-preserving.safetensors"

evaluations=()
notes=()
evaluate() {  # [TRANSPORTS=...] evaluate LABEL NAME [evaluate options...]
    local label=$1 name=$2 transports=${TRANSPORTS_OF_THIS:-$TRANSPORTS}
    shift 2
    run "$MEMBRANE" evaluate "$@" "${evaluate_extra[@]}" --transports "$transports" --out "$OUT/eval-$name"
    evaluations+=(--evaluation "$label=$OUT/eval-$name/report.json")
}

evaluate "red" red --membrane "$OUT/red.safetensors"
evaluate "triangle" triangle --membrane "$OUT/triangle.safetensors"
evaluate "red + triangle composed" red-triangle --membrane "$OUT/red.safetensors" --membrane "$OUT/triangle.safetensors"
evaluate "red (trained on shapesworld-a) on shapesworld-a-pastel" red-pastel \
    --model "$SHARED_MODELS/shapesworld-a-pastel" --membrane "$OUT/red.safetensors"
# Red on every shared model with a SYNONYMS.json: evaluate measures its synonym prompts too and
# the table gains the synonym columns.
shopt -s nullglob
synonym_files=("$SHARED_MODELS"/*/SYNONYMS.json)
shopt -u nullglob
for file in "${synonym_files[@]}"; do
    model=$(dirname "$file")
    name=$(basename "$model")
    evaluate "red (trained on shapesworld-a) on $name" "red-$name" --model "$model" --membrane "$OUT/red.safetensors"
done
# The membrane trained to preserve on its own, loaded as a plain LoRA only.
TRANSPORTS_OF_THIS=fixed:1.0 evaluate "red-preserving" red-preserving --membrane "$OUT/red-preserving.safetensors"
for file in "${synonym_files[@]}"; do
    model=$(dirname "$file")
    name=$(basename "$model")
    TRANSPORTS_OF_THIS=fixed:1.0 evaluate "red-preserving (trained on shapesworld-a) on $name" "red-preserving-$name" \
        --model "$model" --membrane "$OUT/red-preserving.safetensors"
done
if [ ${#synonym_files[@]} -eq 0 ]; then
    notes+=(--note "no model folder of $SHARED_MODELS has a SYNONYMS.json: no synonyms row.")
fi

python3 bench/results.py --doc "$DOC" --commands "$commands" --started "$started" \
    --membrane "$OUT/red.safetensors" --membrane "$OUT/triangle.safetensors" --membrane "$OUT/red-preserving.safetensors" \
    "${evaluations[@]}" "${notes[@]}" --overrides "${overrides[*]}"
