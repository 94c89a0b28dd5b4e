"""onem2m_fuzz_target: one libFuzzer target, its seed corpus and its bounded test run.

Normal build: the binary links replay_main.cc and the test replays the checked-in corpus (seeds and
crash regressions) once. With --config=fuzz (clang 14, libFuzzer, ASan + UBSan) the binary is a
libFuzzer binary and the test fuzzes for FUZZ_SECONDS starting from the corpus.
"""

FUZZ_SECONDS = "25"

def onem2m_fuzz_target(name, srcs, deps):
    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//tests/fuzz:libfuzzer": [],
            "//conditions:default": ["//tests/fuzz:replay_main"],
        }),
        linkopts = select({
            "//tests/fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        testonly = True,
    )
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob(["corpus/" + name + "/**"]),
        testonly = True,
    )
    native.sh_test(
        name = name + "_test",
        srcs = ["run_fuzz_test.sh"],
        args = [
            "$(rootpath :" + name + ")",
            "tests/fuzz/corpus/" + name,
        ] + select({
            "//tests/fuzz:libfuzzer": [FUZZ_SECONDS],
            "//conditions:default": ["0"],
        }),
        data = [":" + name, ":" + name + "_corpus"],
        size = "medium",
        tags = ["fuzz"],
    )
