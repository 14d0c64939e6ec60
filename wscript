#!/usr/bin/python3
# Pianola build: the core library (src/), its command-line tools (tools/),
# the LV2 bundle (plugin/, gui/, ttl/, presets/, models/), the tests and the
# benchmarks. `./waf test` runs every test and ends with "N passed, N failed";
# `./waf bench` prints one "name: value unit" figure per line.
import os
import re
import shlex
import shutil
import subprocess
import sys

from waflib import Build, Context, Logs, Options, Utils

APPNAME = "pianola"
VERSION = "0.1.0"
top = "."
out = "build"

PLUGIN_URI = "urn:pianola:pianola"
# The same composer without the piano (plugin/variant.h).
PLUGIN_MIDI_URI = "urn:pianola:pianola-midi"
# The piano with a stereo out per part (plugin/variant.h), in pianola.so.
PLUGIN_PARTS_URI = "urn:pianola:pianola-parts"


def options(opt):
    opt.load("compiler_c")
    group = opt.add_option_group("Pianola options")
    group.add_option("--lv2dir", default=None,
                     help="where to install the LV2 bundle [default: ${LIBDIR}/lv2]")
    group.add_option("--user", action="store_true", default=False,
                     help="install the bundle to ~/.lv2 and the programs to ~/.local/bin")
    group.add_option("--native", action="store_true", default=False,
                     help="optimise for this machine's CPU (-march=native); not portable")
    group.add_option("--sanitize", action="store_true", default=False,
                     help="build with AddressSanitizer and UndefinedBehaviorSanitizer")
    group.add_option("--only", default="",
                     help="with 'test' or 'bench': run only those whose name contains this "
                          "(or any of several, comma-separated)")


def configure(conf):
    if Options.options.sanitize and not os.environ.get("CC"):
        conf.env.CC = ["clang"]
    conf.load("compiler_c")
    conf.env.append_unique("CFLAGS", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-g",
                                      "-O2", "-fPIC", "-D_POSIX_C_SOURCE=200809L"])
    # Nothing reads the floating-point exception flags, so comparisons need
    # not be kept where they might raise one: without this GCC will not
    # vectorise the LSTM cell's clamped exponentials. Values are untouched
    # (clang's default; no reassociation, no contraction).
    conf.env.append_unique("CFLAGS", ["-fno-trapping-math"])
    if Options.options.native:
        conf.env.append_unique("CFLAGS", ["-march=native"])
    if Options.options.sanitize:
        flags = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                 "-fno-sanitize-recover=all"]
        conf.env.append_unique("CFLAGS", flags)
        conf.env.append_unique("LINKFLAGS", flags)
        conf.env.SANITIZE = True
        # Hosts not built with ASan (jalv) load the sanitized plugin with
        # this runtime preloaded (see sanitized_hosts()).
        conf.env.ASAN_RUNTIME = conf.cmd_and_log(
            conf.env.CC + ["-print-file-name=libclang_rt.asan-x86_64.so"]).strip()

    conf.check_cfg(package="lv2", atleast_version="1.18", args="--cflags --libs",
                   uselib_store="LV2")
    conf.check_cfg(package="lilv-0", args="--cflags --libs", uselib_store="LILV")
    conf.check_cfg(package="fluidsynth", atleast_version="2", args="--cflags --libs",
                   uselib_store="FLUIDSYNTH")
    conf.check_cfg(package="smf", args="--cflags --libs", uselib_store="SMF")
    conf.check_cfg(package="sndfile", args="--cflags --libs", uselib_store="SNDFILE")
    conf.check_cfg(package="cairo", args="--cflags --libs", uselib_store="CAIRO")
    conf.check_cfg(package="x11", args="--cflags --libs", uselib_store="X11")
    conf.check_cc(lib="m", uselib_store="M")
    conf.check_cc(lib="pthread", uselib_store="PTHREAD")

    # Training and the parity tests need Debian's PyTorch, which lives in the
    # system interpreter (a python3 earlier on PATH may not have it).
    conf.find_program(["python3"], var="PYTHON", path_list=["/usr/bin", "/usr/local/bin"])

    if Options.options.user:
        home = os.path.expanduser("~")
        conf.env.LV2DIR = os.path.join(home, ".lv2")
        conf.env.BINDIR = os.path.join(home, ".local", "bin")
    else:
        conf.env.LV2DIR = os.path.join(conf.env.LIBDIR, "lv2")
    if Options.options.lv2dir:
        conf.env.LV2DIR = Options.options.lv2dir
    conf.env.PLUGIN_URI = PLUGIN_URI
    conf.msg("LV2 bundle directory", conf.env.LV2DIR)


# plugin/ sources that hold pure logic: a library of their own (see build()).
PLUGIN_LOGIC = ["plugin/transport.c", "plugin/lookahead.c", "plugin/state_encoding.c"]
# The piano's sound, and the MIDI plugin's stand-in for it: each binary of
# the bundle takes the rest of plugin/ and one of these (see build_bundle()).
PIANO_SOUND = "plugin/synth.c"
NO_SOUND = "plugin/synth_none.c"


def tool_name(path):
    return "pianola-" + os.path.splitext(os.path.basename(path))[0].replace("_", "-")


def build(bld):
    core_sources = bld.path.ant_glob("src/*.c")
    if not core_sources:
        bld.fatal("src/ holds no sources")
    bld.stlib(source=core_sources, target="pianola", includes="src",
              export_includes="src", use=["SMF", "M"])

    # Code the programs share (the in-process lilv host, option parsing) but
    # the plugin does not.
    host_use = ["pianola", "SMF", "SNDFILE", "LILV", "LV2", "M", "PTHREAD"]
    host_sources = bld.path.ant_glob("tools/common/*.c")
    if host_sources:
        bld.stlib(source=host_sources, target="pianola_host", includes="src tools/common",
                  export_includes="tools/common", use=host_use)
        host_use = ["pianola_host"] + host_use

    for tool in bld.path.ant_glob("tools/*.c"):
        bld.program(source=[tool], target=tool_name(tool.abspath()), use=host_use,
                    install_path="${BINDIR}")

    # The plugin's pure logic, with no LV2 in its interfaces: linked into
    # the plugin and, for direct unit tests, into the tests.
    bld.stlib(source=[bld.path.find_node(path) for path in PLUGIN_LOGIC],
              target="pianola_plugin_logic", includes="src plugin", export_includes="plugin",
              use=["pianola", "M"])

    for test in bld.path.ant_glob("tests/test_*.c") + bld.path.ant_glob("tests/bench_*.c"):
        name = os.path.splitext(test.name)[0]
        bld.program(source=[test], target="tests/" + name, includes="tests",
                    use=["pianola_plugin_logic"] + host_use, install_path=None)

    if bld.path.find_node("plugin/pianola.c"):
        build_bundle(bld)
        build_dummy_control_check(bld, host_use)
    build_midi_pulse(bld)

    if bld.cmd in ("test", "bench"):
        bld.add_post_fun(run_after_build)


def build_midi_pulse(bld):
    """The host tests' reference instrument (tests/midi-pulse.lv2): a plugin
    with Pianola's ports and nothing else, to tell a host's faults from
    Pianola's. Built beside the bundle, never installed."""
    bundle = "midi-pulse.lv2"
    plugin = bld.shlib(source=["tests/%s/midi_pulse.c" % bundle], target=bundle + "/midi_pulse",
                       use=["LV2"], cflags=["-fvisibility=hidden"], install_path=None)
    plugin.env.cshlib_PATTERN = "%s.so"
    for ttl in bld.path.ant_glob("tests/%s/*.ttl" % bundle):
        bld(features="subst", is_copy=True, source=ttl, target=bundle + "/" + ttl.name,
            install_path=None)


def build_bundle(bld):
    bundle = "pianola.lv2"
    install_dir = os.path.join(bld.env.LV2DIR, bundle)
    # A symbol left undefined would only show when a host fails to load the
    # binary; refuse it at link time (sanitizer runtimes come from the host
    # program, so not in those builds).
    no_undefined = [] if bld.env.SANITIZE else ["-Wl,-z,defs"]
    # LV2 hosts load bundle binaries by the name the manifest gives: plain
    # pianola.so, no "lib" prefix. The core library's symbols stay inside the
    # plugin: it exports lv2_descriptor alone. The three plugins are the same
    # sources: pianola.so with FluidSynth (the piano and the parts), and
    # pianola_midi.so without it (its lv2_descriptor the MIDI plugin's).
    shared = bld.path.ant_glob("plugin/*.c", excl=PLUGIN_LOGIC + [PIANO_SOUND, NO_SOUND])
    binaries = [("pianola", PIANO_SOUND, ["FLUIDSYNTH"], []),
                ("pianola_midi", NO_SOUND, [], ["PNL_BINARY_VARIANT=PNL_VARIANT_MIDI"])]
    for name, sound, sound_use, defines in binaries:
        plugin = bld.shlib(source=shared + [bld.path.find_node(sound)],
                           target=bundle + "/" + name,
                           use=["pianola_plugin_logic", "pianola", "LV2", "M", "PTHREAD"]
                           + sound_use,
                           defines=defines, cflags=["-fvisibility=hidden"],
                           linkflags=["-Wl,--exclude-libs,ALL"] + no_undefined,
                           install_path=install_dir)
        plugin.env.cshlib_PATTERN = "%s.so"
    if bld.path.find_node("gui/pianola_ui.c"):
        # src/parts.c: the window asks the engine's own rule which part a
        # captured phrase becomes.
        ui = bld.shlib(source=bld.path.ant_glob("gui/*.c") + ["src/parts.c"],
                       target=bundle + "/pianola_ui",
                       use=["LV2", "CAIRO", "X11", "M"], cflags=["-fvisibility=hidden"],
                       linkflags=no_undefined, install_path=install_dir)
        ui.env.cshlib_PATTERN = "%s.so"
    # The plugins' TTL: ttl/pianola.ttl.in, ttl/pianola_midi.ttl.in and
    # ttl/pianola_parts.ttl.in with the control ports (and the parts' audio
    # pairs and their groups) that ttl/control_ports.c writes from the port
    # table (plugin/ports.h), each at its plugin's indices.
    control_ports = write_control_ports(bld, "ttl/control_ports", [])
    writer = bld.path.find_or_declare("ttl/control_ports")
    plugin_ttls = [("pianola", [control_ports], PLUGIN_URI)]
    for variant, uri, extras in (("midi", PLUGIN_MIDI_URI, []),
                                 ("parts", PLUGIN_PARTS_URI, ["groups"])):
        inputs = []
        for extra in [""] + extras:
            ports = bld.path.find_or_declare("ttl/control_ports_%s%s.ttl"
                                             % (variant, "_" + extra if extra else ""))
            bld(rule="${SRC[0].abspath()} %s %s > ${TGT}" % (variant, extra), source=writer,
                target=ports)
            inputs.append(ports)
        plugin_ttls.append(("pianola_" + variant, inputs, uri))
    for name, ports, uri in plugin_ttls:
        bld(rule=write_plugin_ttl, source=["ttl/%s.ttl.in" % name] + ports,
            target=bundle + "/%s.ttl" % name, plugin_uri=uri, install_path=install_dir)
    # The window's port notifications, from the same table, for every plugin.
    ui_notifications = []
    for variant in ("", "midi", "parts"):
        notifications = bld.path.find_or_declare("ttl/ui_notifications%s.ttl" % variant)
        bld(rule="${SRC[0].abspath()} %s ui > ${TGT}" % variant,
            source=bld.path.find_or_declare("ttl/control_ports"), target=notifications)
        ui_notifications.append(notifications)
    bld(rule=write_ui_ttl, source=["ttl/pianola_ui.ttl.in"] + ui_notifications,
        target=bundle + "/pianola_ui.ttl", install_path=install_dir)
    templates = [name for name, _, _ in plugin_ttls] + ["pianola_ui"]
    for ttl in bld.path.ant_glob("ttl/*.ttl.in",
                                 excl=["ttl/%s.ttl.in" % name for name in templates]):
        bld(features="subst", source=ttl, target=bundle + "/" + ttl.name[:-3],
            install_path=install_dir, LIB_EXT=".so",
            PLUGIN_URI=PLUGIN_URI, PLUGIN_MIDI_URI=PLUGIN_MIDI_URI,
            PLUGIN_PARTS_URI=PLUGIN_PARTS_URI,
            PRESETS=manifest_presets(bld))
    for ttl in bld.path.ant_glob("ttl/*.ttl") + bld.path.ant_glob("presets/*.ttl"):
        bld(features="subst", is_copy=True, source=ttl, target=bundle + "/" + ttl.name,
            install_path=install_dir)
    for weights in bld.path.ant_glob("models/*.pnm"):
        bld(features="subst", is_copy=True, source=weights,
            target=bundle + "/models/" + weights.name,
            install_path=os.path.join(install_dir, "models"))


def write_control_ports(bld, target, defines):
    """Builds ttl/control_ports.c (with `defines`) as `target` and runs it:
    the control ports' Turtle, in the node returned."""
    bld.program(source=["ttl/control_ports.c", "src/parts.c"], target=target, defines=defines,
                install_path=None)
    ports = bld.path.find_or_declare(target + ".ttl")
    bld(rule="${SRC[0].abspath()} > ${TGT}", source=bld.path.find_or_declare(target),
        target=ports)
    return ports


def write_plugin_ttl(task):
    template = task.inputs[0].read()
    ports = task.inputs[1].read().rstrip("\n")
    if "@CONTROL_PORTS@" not in template:
        task.generator.bld.fatal("%s has no @CONTROL_PORTS@" % task.inputs[0])
    # Pianola (parts): its port groups.
    if len(task.inputs) > 2:
        if "@PORT_GROUPS@" not in template:
            task.generator.bld.fatal("%s has no @PORT_GROUPS@" % task.inputs[0])
        template = template.replace("@PORT_GROUPS@", task.inputs[2].read())
    task.outputs[0].write(template.replace("@CONTROL_PORTS@", ports)
                          .replace("@PLUGIN_URI_PIANO@", PLUGIN_URI)
                          .replace("@PLUGIN_URI@", task.generator.plugin_uri))


def manifest_presets(bld):
    """The manifest's entry for every preset of presets/, with the URI, the
    plugins and the label its own file gives, so a preset is one file."""
    entries = []
    for node in sorted(bld.path.ant_glob("presets/*.ttl"), key=lambda n: n.name):
        text = node.read()
        uri = re.search(r"^<(urn:pianola:preset:[^>]+)>", text, re.M)
        label = re.search(r'rdfs:label ("(?:[^"\\]|\\.)*")', text)
        applies = re.search(r"lv2:appliesTo ([^;]+);", text)
        if not (uri and label and applies):
            bld.fatal("%s: expected a preset's URI, lv2:appliesTo and rdfs:label" % node)
        entries.append("<%s>\n    a pset:Preset ;\n    lv2:appliesTo %s;\n    rdfs:label %s ;\n"
                       "    rdfs:seeAlso <%s> ." % (uri.group(1), applies.group(1),
                                                   label.group(1), node.name))
    return "\n\n".join(entries)


def write_ui_ttl(task):
    template = task.inputs[0].read()
    for node, placeholder, uri in ((task.inputs[1], "@PORT_NOTIFICATIONS_PIANO@", PLUGIN_URI),
                                   (task.inputs[2], "@PORT_NOTIFICATIONS_MIDI@",
                                    PLUGIN_MIDI_URI),
                                   (task.inputs[3], "@PORT_NOTIFICATIONS_PARTS@",
                                    PLUGIN_PARTS_URI)):
        if placeholder not in template:
            task.generator.bld.fatal("%s has no %s" % (task.inputs[0], placeholder))
        template = template.replace(placeholder, node.read().rstrip("\n")
                                    .replace("@PLUGIN_URI@", uri))
    task.outputs[0].write(template)


# One control more than plugin/ports.h has, for the test build that shows a
# control added to the table reaches every consumer (tests/check_dummy_control.c).
DUMMY_CONTROL = ('PNL_EXTRA_CONTROL_PORTS(X)=X(DUMMY, PNL_EXTRA_PORT_FIRST, "dummy_control", '
                 '"Dummy control", '
                 '-1.5, 0.25, 3.0, PNL_CONTROL_FLOAT, PNL_UNIT_COEF, "Only the test build has '
                 'it")')


def build_dummy_control_check(bld, host_use):
    """The TTL writer and pianola-render built with
    DUMMY_CONTROL, and the test that looks for the dummy in what they give."""
    write_control_ports(bld, "tests/dummy-control/control_ports", [DUMMY_CONTROL])
    bld(rule="${SRC[0].abspath()} ui > ${TGT}",
        source=bld.path.find_or_declare("tests/dummy-control/control_ports"),
        target=bld.path.find_or_declare("tests/dummy-control/ui_notifications.ttl"))
    bld.program(source=["tools/render.c"], target="tests/dummy-control/pianola-render",
                use=host_use, defines=[DUMMY_CONTROL], install_path=None)
    bld.program(source=["tests/check_dummy_control.c"], target="tests/test_dummy_control",
                includes="tests", use=host_use, defines=[DUMMY_CONTROL], install_path=None)


def test_environment(ctx):
    env = dict(os.environ)
    build_dir = ctx.bldnode.abspath()
    env["PIANOLA_SRC"] = ctx.srcnode.abspath()
    env["PIANOLA_BUILD"] = build_dir
    env["PIANOLA_CORPUS"] = os.environ.get(
        "PIANOLA_CORPUS", os.path.join(ctx.srcnode.abspath(), "..", "shared", "corpus"))
    env["PYTHONPATH"] = ctx.srcnode.abspath()
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # A folder holding only the built bundle: lilv reports every other folder
    # of the build tree on LV2_PATH as a broken bundle.
    lv2_path = os.path.join(build_dir, "lv2")
    if not os.path.isdir(lv2_path):
        os.makedirs(lv2_path)
        os.symlink(os.path.join("..", "pianola.lv2"), os.path.join(lv2_path, "pianola.lv2"))
    env["LV2_PATH"] = lv2_path + ":/usr/lib/lv2"
    env["PATH"] = build_dir + os.pathsep + env.get("PATH", "")
    if ctx.env.SANITIZE:
        env["PATH"] = sanitized_hosts(ctx, env["PATH"]) + os.pathsep + env["PATH"]
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        # Leaks inside system libraries (fontconfig's caches) are theirs.
        env.setdefault("LSAN_OPTIONS", "print_suppressions=0:suppressions=" + os.path.join(
            ctx.srcnode.abspath(), "tests", "lsan.supp"))
    return env


# Suites a --sanitize build cannot run, and why; they run in the plain build.
NOT_UNDER_SANITIZERS = {
    "test_rt_safety": "it interposes malloc and free, which ASan owns",
    "test_jalv_ui.py": "jalv.gtk3 hangs at start with the ASan runtime preloaded "
                       "(glibc 2.36's bindtextdomain lock, taken by GTK), before loading plugins",
    "test_ardour_export.py": "Ardour 7.3 hangs at start with the ASan runtime preloaded "
                             "(glibc 2.36's bindtextdomain lock), before loading plugins",
    "test_soak.py": "it runs Ardour and jalv.gtk3, which hang at start with the ASan runtime "
                    "preloaded (see the two above)",
}


def sanitized_hosts(ctx, path):
    """A folder of launchers that run jalv with the ASan runtime preloaded:
    the sanitized plugin needs it and jalv is not built with it. jalv's own
    leaks are not Pianola's (the plugin's are checked through lilv by the C
    tests), so leak detection is off there."""
    folder = os.path.join(ctx.bldnode.abspath(), "sanitized-hosts")
    os.makedirs(folder, exist_ok=True)
    for host in ("jalv",):
        real = shutil.which(host, path=path)
        if not real:
            continue
        launcher = os.path.join(folder, host)
        with open(launcher, "w") as script:
            script.write('#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}'
                         'detect_leaks=0" exec %s "$@"\n'
                         % (shlex.quote(ctx.env.ASAN_RUNTIME), shlex.quote(real)))
        os.chmod(launcher, 0o755)
    return folder


def run_suites(ctx, pattern, summarize):
    """Runs every tests/<pattern> program and Python module; each prints
    'PASS name' or 'FAIL name: why' lines (see tests/check.h, tests/check.py)."""
    only = [part for part in Options.options.only.split(",") if part]
    env = test_environment(ctx)
    built = ctx.bldnode.find_node("tests")
    programs = [node for node in (built.ant_glob(pattern) if built else [])
                if "." not in node.name]
    scripts = ctx.srcnode.ant_glob("tests/" + pattern + ".py")
    programs.sort(key=lambda node: node.name)
    scripts.sort(key=lambda node: node.name)
    # A command the C programs run under, e.g. valgrind (tools/check-memory.sh).
    wrapper = shlex.split(os.environ.get("PIANOLA_TEST_WRAPPER", ""))
    passed, failed = 0, []
    for node in programs + scripts:
        name = node.name
        if only and not any(part in name for part in only):
            continue
        if ctx.env.SANITIZE and name in NOT_UNDER_SANITIZERS:
            Logs.info("--- %s: skipped in a --sanitize build: %s"
                      % (name, NOT_UNDER_SANITIZERS[name]))
            continue
        if name.endswith(".py"):
            command = [ctx.env.PYTHON[0], os.path.join(ctx.srcnode.abspath(), "tests",
                                                         "check.py"), node.abspath()]
        else:
            command = wrapper + [node.abspath()]
        Logs.info("--- %s" % name)
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, cwd=ctx.bldnode.abspath(),
                                   universal_newlines=True)
        failures_before = len(failed)
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.startswith("PASS "):
                passed += 1
            elif line.startswith("FAIL "):
                failed.append("%s: %s" % (name, line[5:].strip()))
        code = process.wait()
        if code != 0 and len(failed) == failures_before:
            failed.append("%s: exited with status %d" % (name, code))
    if summarize:
        if failed:
            Logs.pprint("RED", "Failures:")
            for failure in failed:
                Logs.pprint("RED", "  " + failure)
        print("%d passed, %d failed" % (passed, len(failed)))
        if failed:
            sys.exit(1)


class TestContext(Build.BuildContext):
    """builds, then runs every test; ends with 'N passed, N failed'"""
    cmd = "test"
    fun = "build"


class BenchContext(Build.BuildContext):
    """builds, then runs every benchmark (one 'name: value unit' line per figure)"""
    cmd = "bench"
    fun = "build"


def run_after_build(ctx):
    if ctx.cmd == "test":
        run_suites(ctx, "test_*", summarize=True)
    elif ctx.cmd == "bench":
        run_suites(ctx, "bench_*", summarize=False)
