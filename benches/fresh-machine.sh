#!/usr/bin/env bash
# First verdict from nothing, as a new user meets it: an empty cargo registry, an empty
# target dir, an empty nacos-chaos cache and no r-nacos image — then the README's main
# command. Prints a table beside the figures measured before the work on speed (issue #16).
#
#   benches/fresh-machine.sh [suite]      (default suites/rnacos-ip-change-all.toml)
#
# Everything it builds lives in a temp dir removed at exit; the only shared state it
# touches is the local images nacos-chaos/rnacos:<v> and nacos-chaos/tools:*, which it
# removes first and leaves rebuilt (same recipe). crates.io must be reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-suites/rnacos-ip-change-all.toml}"
version="${NACOS_CHAOS_BENCH_VERSION:-0.8.8}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export CARGO_HOME="$tmp/cargo-home"          # empty registry: every crate downloads again
export CARGO_TARGET_DIR="$tmp/target"        # nothing compiled
export NACOS_CHAOS_CACHE="$tmp/cache"        # no r-nacos binary
docker rmi -f "nacos-chaos/rnacos:$version" >/dev/null 2>&1 || true
docker images --format '{{.Repository}}:{{.Tag}}' 'nacos-chaos/tools' | xargs -r docker rmi -f >/dev/null 2>&1 || true

now() { date +%s; }
t0=$(now)
cargo build -q --bins
t1=$(now)
set +e
"$CARGO_TARGET_DIR/debug/nacos-chaos" run "$suite" --from "$version" --results "$tmp/results"
code=$?
set -e
t2=$(now)
record="$(ls "$tmp"/results/*/verdict.json | head -1)"
provision_s=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['provision_ms']/1000))" "$record")
scenario_s=$(( t2 - t1 - provision_s ))

cat <<EOF

## First verdict on this machine ($(nproc) cores), $suite at $version

| phase | before (release builds, issue #16) | now |
|---|---|---|
| harness build (cold) | 304 s (\`cargo build --release\`) | $(( t1 - t0 )) s (\`cargo build\`) |
| r-nacos $version image (cold, incl. crates download) | 752 s (release profile) | ${provision_s} s (\`${NACOS_CHAOS_RNACOS_BUILD:-fast}\` profile) |
| the scenario | 77 s | ${scenario_s} s |
| **first verdict** | **1139 s** | **$(( t2 - t0 )) s** (goal ≤ 480 s) |

exit code of the run: $code (0: as expected)
EOF
