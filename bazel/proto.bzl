"""cc_grpc_proto: compiles .proto files with Debian's protoc and grpc_cpp_plugin (offline)."""

def cc_grpc_proto(name, srcs, deps = [], grpc = True, visibility = None):
    """Generates C++ messages (and gRPC stubs when grpc = True) for `srcs`.

    Args:
      name: the cc_library to create; `<name>_gen` is the genrule behind it.
      srcs: .proto files in this package; imports are resolved from the workspace root.
      deps: other cc_grpc_proto targets whose .proto files these import.
      grpc: also run grpc_cpp_plugin.
      visibility: of the cc_library.
    """
    bases = [s[:-len(".proto")] for s in srcs]
    pkg = native.package_name()
    outs = []
    for b in bases:
        outs += [b + ".pb.h", b + ".pb.cc"]
        if grpc:
            outs += [b + ".grpc.pb.h", b + ".grpc.pb.cc"]
    proto_deps = [d + "_protos" for d in deps]
    native.filegroup(name = name + "_protos", srcs = srcs + proto_deps, visibility = ["//visibility:public"])
    cmd = "/usr/bin/protoc -I. --cpp_out=$(GENDIR)"
    tools = []
    if grpc:
        cmd += " --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin --grpc_out=$(GENDIR)"
    cmd += " " + " ".join([(pkg + "/" + s) if pkg else s for s in srcs])
    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_deps,
        outs = outs,
        cmd = cmd,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["//third_party:grpc", "//third_party:protobuf"],
        visibility = visibility,
    )
