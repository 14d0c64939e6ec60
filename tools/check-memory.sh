#!/bin/sh
# Pianola under the memory checkers: the command CI runs after the test suite.
#
#  1. AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer): a
#     `./waf configure --sanitize` build of its own, then the whole test suite
#     (`./waf test`) in it. The console jalv loads the sanitized plugin with
#     the ASan runtime preloaded; the few suites that cannot run under ASan
#     are listed, with the reason, in wscript (NOT_UNDER_SANITIZERS).
#  2. valgrind (memcheck) on a plain build of its own: the C test programs
#     below, those that instantiate the plugin through lilv among them, a
#     shorter torture run, and the command-line programs on a short job
#     each. Any error, and any definite or indirect leak not in
#     tests/valgrind.supp (system libraries only), fails.
#
# Prints each step's time and ends with "check-memory: passed" or
# "check-memory: FAILED (steps)"; exits non-zero on any failure.
#
# Usage: tools/check-memory.sh [--asan-only | --valgrind-only] [--jobs N]
#                              [--asan-out DIR] [--valgrind-out DIR]
#   --asan-out DIR      the sanitized build [build-asan]
#   --valgrind-out DIR  the plain build valgrind runs [build-valgrind]
#   --jobs N            parallel compile jobs [all cores]
# Extra valgrind options can go in $VALGRIND_OPTS (valgrind reads it), e.g.
# --track-origins=yes to find where an uninitialised value came from.
# Needs clang, libclang-rt-14-dev and valgrind (tools/install-deps.sh).
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
asan_out=build-asan
valgrind_out=build-valgrind
jobs=$(nproc 2>/dev/null || echo 2)
run_asan=1
run_valgrind=1
while [ $# -gt 0 ]; do
    case "$1" in
        --asan-only) run_valgrind=0; shift ;;
        --valgrind-only) run_asan=0; shift ;;
        --asan-out) asan_out=$2; shift 2 ;;
        --valgrind-out) valgrind_out=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "check-memory.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$asan_out" in /*) ;; *) asan_out=$here/$asan_out ;; esac
case "$valgrind_out" in /*) ;; *) valgrind_out=$here/$valgrind_out ;; esac

failed=""
started=$(date +%s)
step_start=$started

step_done() { # name, status
    now=$(date +%s)
    if [ "$2" -eq 0 ]; then verdict=ok; else verdict=FAILED; failed="$failed $1"; fi
    echo "check-memory: $1: $verdict in $((now - step_start)) s"
    step_start=$now
}

# Each build keeps its own waf lock file, so `./waf` alone still means build/.
waf_in() { # lock name, waf arguments...
    lock=$1
    shift
    WAFLOCK=.lock-waf-$lock ./waf "$@"
}

# ------------------------------------------------------------ 1. sanitizers
if [ "$run_asan" = 1 ]; then
    echo "check-memory: ASan+UBSan build in $asan_out"
    waf_in asan configure --sanitize --out="$asan_out" >/dev/null &&
        waf_in asan build -j"$jobs" >/dev/null
    status=$?
    step_done asan-build $status
    if [ $status -eq 0 ]; then
        waf_in asan test -j"$jobs"
        step_done asan-test-suite $?
    fi
fi

# --------------------------------------------------------------- 2. valgrind
# C test programs run under valgrind, through `./waf test` (which sets their
# environment) with PIANOLA_TEST_WRAPPER. Those that instantiate the plugin
# through lilv: test_plugin, test_plugin_soundfont, test_capture,
# test_bad_files, test_midi_plugin (both plugins, about 4 minutes here) and
# test_rt_safety (its own malloc forwards to the C
# library's, which valgrind then watches:
# --soname-synonyms=somalloc=nouserintercepts). Not in this list:
#   test_ui       one test measures the playhead's motion over 0.5 s of wall
#                 time, which valgrind's slowdown breaks; ASan runs it
#   test_torture  350 cycles a rate take 40 s natively, over ten minutes
#                 under valgrind: it runs 100 cycles a rate below (and 350
#                 under ASan)
valgrind_tests="test_vocabulary,test_score,test_grammar,test_codec,test_generator,test_humanize"
valgrind_tests="$valgrind_tests,test_hash,test_byte_order,test_key,test_lstm,test_midifile"
valgrind_tests="$valgrind_tests,test_quantized,test_sampler,test_scheduler,test_timeline"
valgrind_tests="$valgrind_tests,test_weights,test_plugin,test_plugin_soundfont,test_capture"
valgrind_tests="$valgrind_tests,test_bad_files,test_midi_plugin,test_rt_safety"
valgrind_tests="$valgrind_tests,test_transport,test_lookahead,test_state_encoding"
valgrind_tests="$valgrind_tests,test_music_stats,test_tokenize_file"

valgrind="valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect
 --errors-for-leak-kinds=definite,indirect --keep-debuginfo=yes --num-callers=40
 --soname-synonyms=somalloc=nouserintercepts --suppressions=$here/tests/valgrind.supp"

# One program of the build on a short job, under valgrind; its output is
# shown when it fails.
valgrind_tool() { # name, program, arguments...
    name=$1
    shift
    program=$valgrind_out/$1
    shift
    # shellcheck disable=SC2086
    (cd "$work" && PIANOLA_SRC=$here PIANOLA_BUILD=$valgrind_out LV2_PATH=$valgrind_out/lv2 \
        $valgrind "$program" "$@" >"$work/$name.log" 2>&1)
    status=$?
    [ $status -eq 0 ] || cat "$work/$name.log"
    step_done "valgrind-$name" $status
}

if [ "$run_valgrind" = 1 ]; then
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "check-memory.sh: valgrind not found (apt-get install valgrind)" >&2
        exit 3
    fi
    echo "check-memory: plain build for valgrind in $valgrind_out"
    waf_in valgrind configure --out="$valgrind_out" >/dev/null &&
        waf_in valgrind build -j"$jobs" >/dev/null
    status=$?
    step_done valgrind-build $status
    if [ $status -eq 0 ]; then
        PIANOLA_TEST_WRAPPER=$valgrind waf_in valgrind test -j"$jobs" --only="$valgrind_tests"
        step_done valgrind-c-tests $?

        work=$(mktemp -d "${TMPDIR:-/tmp}/pianola-check-memory.XXXXXX")
        # A folder holding the built bundle alone (as ./waf test makes it).
        mkdir -p "$valgrind_out/lv2"
        [ -e "$valgrind_out/lv2/pianola.lv2" ] ||
            ln -s ../pianola.lv2 "$valgrind_out/lv2/pianola.lv2"
        valgrind_tool torture tests/test_torture 100

        # The programs: compose (float and 8-bit weights), tokenize there
        # and back, score, and render the plugin through lilv: two bars of
        # prompt played in with capture on, then six composed.
        valgrind_tool generate pianola-generate --composer mozart --bars 2 --seed 1 --quiet \
            -o "$work/generated.mid"
        valgrind_tool generate-int8 pianola-generate --composer brahms --bars 4 --seed 2 \
            --precision int8 --quiet -o "$work/generated-int8.mid"
        valgrind_tool tokenize-encode pianola-tokenize --encode "$work/generated.mid" \
            -o "$work/generated.tok"
        valgrind_tool tokenize-decode pianola-tokenize --decode "$work/generated.tok" \
            -o "$work/decoded.mid"
        valgrind_tool score pianola-score --composer mozart "$work/generated.mid" \
            "$work/decoded.mid"
        valgrind_tool render pianola-render --composer schumann --bars 8 --seed 3 --tail 1 \
            --prompt "$work/generated.mid" -o "$work/render.wav" --midi "$work/render.mid"
        rm -rf "$work"
    fi
fi

echo "check-memory: $(( $(date +%s) - started )) s in all"
if [ -n "$failed" ]; then
    echo "check-memory: FAILED ($failed )"
    exit 1
fi
echo "check-memory: passed"
