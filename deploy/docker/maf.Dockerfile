# syntax=docker/dockerfile:1
# Container image of the oneM2M MAF (M2M Authentication Function).
# Build from the repository root (the build context must be the whole repository):
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -f deploy/docker/maf.Dockerfile -t registry.example.com/onem2m/onem2m-maf:0.1.0 .
# (podman/buildah/kaniko take the same arguments). The runtime stage holds only /usr/local/bin/maf_server
# and the shared-library packages of deploy/docker/runtime-packages.txt; no shell tools are needed by the
# chart except /bin/sleep (preStop hook), which debian:12-slim ships.

# ---- build: Debian 12 toolchain + Debian's Bazel, fully offline workspace (see shared/BUILD-NOTES.md)
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      bazel-bootstrap bazel-rules-java g++ ca-certificates \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev \
      libssl-dev libpqxx-dev libpq-dev libcoap3-dev libhttp-parser-dev nlohmann-json3-dev \
      prometheus-cpp-dev zlib1g-dev libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
# The build context has no .git: pass the commit with --build-arg GIT_COMMIT=$(git rev-parse HEAD).
# --stamp embeds it and the VERSION file's version (docs/operations.md, "Build information").
ARG GIT_COMMIT=unknown
WORKDIR /src
COPY . .
RUN ONEM2M_GIT_COMMIT="${GIT_COMMIT}" bazel build -c opt --stamp //services:maf_server \
 && install -D -m 0755 "$(bazel info -c opt bazel-bin)/services/maf/maf_server" /out/maf_server \
 && bazel shutdown

# ---- runtime: debian:12-slim + runtime shared libraries only
FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
COPY deploy/docker/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(sed 's/#.*//' /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log /tmp/runtime-packages.txt \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
COPY --from=build /out/maf_server /usr/local/bin/maf_server
# The chart mounts the flagfile at /etc/onem2m/ (ConfigMap) and secrets under /var/run/secrets/onem2m/.
# Nothing is written outside /tmp (an emptyDir in Kubernetes): the root filesystem can be read-only.
# TLS-PSK bootstrap, DTLS-PSK bootstrap, key-retrieval gRPC (mTLS), admin gRPC (mTLS), ops HTTP.
EXPOSE 8443/tcp 5684/udp 9443/tcp 9444/tcp 9090/tcp
USER 65532:65532
WORKDIR /tmp
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz on the ops port.
ENTRYPOINT ["/usr/local/bin/maf_server"]
CMD ["--config=/etc/onem2m/maf.conf"]
