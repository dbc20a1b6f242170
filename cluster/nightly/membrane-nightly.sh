#!/bin/bash
# Nightly catalog run: trains whatever in the catalog is not yet in the library.
#
# Run from cron or from membrane-nightly.service. flock makes overlapping nights wait for
# nothing: a second start while the first still runs exits at once (code 3, like the library
# lock of `membrane catalog run` itself).
#
# Exit codes (also the service's):
#   0    every concept of the catalog is in the library
#   1    failure (MPI, file system): see the log
#   2    bad catalog, missing model or bad options: nothing was written
#   3    another run holds the library (or this script's flock)
#   5    finished, but some concepts were cancelled (`membrane cancel`); their checkpoints stay
#   143  stopped by SIGTERM/SIGINT after checkpointing; the next run resumes
set -u
REPO=${MEMBRANE_REPO:-/opt/membrane}
CATALOG=${CATALOG:-$REPO/catalogs/nightly.yaml}
LIBRARY=${LIBRARY:-/srv/membranes}
NP=${NP:-3}
HOSTFILE=${HOSTFILE:-$REPO/cluster/hostfile}
LOCK=${LOCK:-/run/lock/membrane-nightly.lock}
hosts=()
[ -f "$HOSTFILE" ] && hosts=(--hostfile "$HOSTFILE")

exec 9>"$LOCK"
if ! flock -n 9; then
    echo "membrane-nightly: another nightly run is still active ($LOCK)" >&2
    exit 3
fi
exec "$REPO/cluster/mpirun-membrane" -np "$NP" "${hosts[@]}" --oversubscribe \
    "$REPO/.build/release/membrane" catalog run "$CATALOG" --library "$LIBRARY"
