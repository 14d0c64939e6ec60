#!/bin/sh
# Builds Pianola's fuzz targets (tests/fuzz/fuzz_*.c) with clang's libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer against the sources in src/
# (and plugin/ for the plugin target), then runs each for a number of
# executions from its seed corpus and prints one line per target:
#
#   fuzz_midifile: 1000000 executions, 0 crashes
#
# Usage: tools/fuzz.sh [--out DIR] [--runs N] [--seconds S] [--build-only] [TARGET...]
#   --out DIR      where the binaries, the working corpora and any crash
#                  files go (default: /tmp/pianola-fuzz)
#   --runs N       executions per target (default 100000)
#   --seconds S    stop a target after S seconds even short of N (default 600)
#   --build-only   build the binaries and stop
#   TARGET         fuzz_midifile, fuzz_weights, ... (default: every target)
#
# Each target runs on one core (-jobs=1 -workers=1). It starts from a copy of
# tests/fuzz/corpus/<target>/ plus tests/fuzz/reproducers/<target>/, so the
# kept inputs are never changed; new crash inputs are written to
# DIR/crashes/<target>/ and should be kept in tests/fuzz/reproducers/<target>/
# once fixed (or tests/fuzz/known-crashes/<target>/ until then).
# Needs clang and libclang-rt-14-dev (Debian).
set -eu

here=${PIANOLA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
out=/tmp/pianola-fuzz
runs=100000
seconds=600
build_only=0
targets=""
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --build-only) build_only=1; shift ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets="$targets $1"; shift ;;
    esac
done
if [ -z "$targets" ]; then
    for source in "$here"/tests/fuzz/fuzz_*.c; do
        targets="$targets $(basename "$source" .c)"
    done
fi

cc=${CC_FUZZ:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz.sh: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 3
fi
sanitize="-fsanitize=address,undefined -fno-omit-frame-pointer"
cflags="-std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $sanitize"
mkdir -p "$out/obj/src" "$out/obj/plugin" "$out/bin"

# One object per library source, rebuilt only when its source or a header
# of its folder is newer.
compile() { # folder, extra flags
    folder=$1
    shift
    for library_source in "$here/$folder"/*.c; do
        object="$out/obj/$folder/$(basename "$library_source" .c).o"
        # The fuzzed plugin is the piano: synth.c, not the MIDI plugin's
        # stand-in for it (the wscript builds each binary with one).
        if [ "$library_source" = "$here/plugin/synth_none.c" ]; then
            rm -f "$object"
            continue
        fi
        if [ ! -e "$object" ] || [ -n "$(find "$library_source" "$here/$folder" -maxdepth 1 \
                -name '*.[ch]' -newer "$object" | head -n 1)" ]; then
            # shellcheck disable=SC2086
            $cc $cflags -fsanitize=fuzzer-no-link "$@" -c "$library_source" -o "$object"
        fi
    done
}

smf_flags=$(pkg-config --cflags smf)
smf_libs=$(pkg-config --libs smf)
compile src -I"$here/src" $smf_flags

for target in $targets; do
    source="$here/tests/fuzz/$target.c"
    if [ ! -e "$source" ]; then
        echo "fuzz.sh: no $source" >&2
        exit 2
    fi
    objects="$out/obj/src/*.o"
    includes="-I$here/src"
    libs="$smf_libs -lm"
    # A target that drives the plugin links its sources and their libraries.
    if grep -q 'PIANOLA_FUZZ_PLUGIN' "$source"; then
        plugin_flags=$(pkg-config --cflags lv2 fluidsynth)
        compile plugin -I"$here/src" -I"$here/plugin" $plugin_flags
        objects="$objects $out/obj/plugin/*.o"
        includes="$includes -I$here/plugin $plugin_flags"
        libs="$libs $(pkg-config --libs fluidsynth) -lpthread"
    fi
    binary="$out/bin/$target"
    # shellcheck disable=SC2086
    $cc $cflags -fsanitize=fuzzer $includes "$source" $objects $libs -o "$binary"
done
[ "$build_only" = 1 ] && exit 0

# UBSan stops at the first finding, except those listed (with reproducers)
# in tests/fuzz/known-crashes/ubsan.supp, reported and not yet fixed.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$here/tests/fuzz/known-crashes/ubsan.supp}
export UBSAN_OPTIONS

status=0
for target in $targets; do
    corpus="$out/corpus/$target"
    crashes="$out/crashes/$target"
    mkdir -p "$corpus" "$crashes"
    for kept in "$here/tests/fuzz/corpus/$target" "$here/tests/fuzz/reproducers/$target"; do
        [ -d "$kept" ] && cp -f "$kept"/* "$corpus"/ 2>/dev/null || true
    done
    log="$out/$target.log"
    dict=""
    [ -e "$here/tests/fuzz/$target.dict" ] && dict="-dict=$here/tests/fuzz/$target.dict"
    # One job, one worker: libFuzzer writes the job's output to fuzz-0.log
    # in the current folder, so the job runs in its own.
    run_dir="$out/run/$target"
    # The plugin target's inputs render many cycles through FluidSynth; under
    # ASan on a busy core one took over 10 s, which libFuzzer took for a hang.
    timeout=10
    [ "$target" = fuzz_plugin ] && timeout=60
    rm -rf "$run_dir"
    mkdir -p "$run_dir"
    set +e
    # shellcheck disable=SC2086
    (cd "$run_dir" && "$out/bin/$target" -jobs=1 -workers=1 -runs="$runs" \
        -max_total_time="$seconds" -max_len=65536 -timeout="$timeout" -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" $dict "$corpus" >/dev/null 2>&1)
    code=$?
    set -e
    cp "$run_dir/fuzz-0.log" "$log" 2>/dev/null || echo "no fuzz-0.log" >"$log"
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    # slow-unit-* files are inputs over 10 s, kept to look at, not failures.
    found=$(find "$crashes" -type f ! -name 'slow-unit-*' | wc -l)
    echo "$target: ${executions:-0} executions, $found crashes"
    if [ "$code" -ne 0 ] || [ "$found" -ne 0 ]; then
        echo "  see $log and $crashes" >&2
        status=1
    fi
done
exit $status
