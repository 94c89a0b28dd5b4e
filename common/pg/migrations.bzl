"""pg_migrations embeds versioned .sql files into a cc_library (see common/pg/migrations.h)."""

def pg_migrations(name, srcs, function, visibility = None):
    """Generates <name>.h/.cc declaring `const onem2m::pg::Migrations& <function>()`.

    Args:
      name: target name; also the base name of the generated header.
      srcs: NNNN_name.sql files.
      function: C++ function name returning the migrations.
      visibility: visibility of the cc_library.
    """
    pkg = native.package_name()
    include = (pkg + "/" if pkg else "") + name + ".h"
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        outs = [name + ".h", name + ".cc"],
        tools = ["//common/pg:embed_sql.sh"],
        cmd = "$(location //common/pg:embed_sql.sh) $(location {h}) $(location {cc}) {inc} {fn} $(SRCS)".format(
            h = name + ".h",
            cc = name + ".cc",
            inc = include,
            fn = function,
        ),
    )
    native.cc_library(
        name = name,
        srcs = [name + ".cc"],
        hdrs = [name + ".h"],
        deps = ["//common/pg:migrations"],
        visibility = visibility,
    )
