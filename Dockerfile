# OptiTrade in a container: the programs, man pages and examples, installed
# from the project's own Debian package (CPack), so the image carries exactly
# the shared libraries the package's Depends name.
#
#   docker build -t optitrade .
#   docker run --rm -v "$PWD/tests/data:/data:ro" optitrade \
#     sh -c 'ot-feed replay /data/okx.raw | ot-book'
#
# examples/containers/compose.yml runs a paper-trading desk with NATS,
# PostgreSQL and Prometheus from this image.

# --- build: compile, test the package's programs, make the .deb ---
FROM debian:bookworm AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config file dpkg-dev \
      libboost1.81-dev libssl-dev libcli11-dev libsimdjson-dev libfmt-dev \
      cppzmq-dev libzmq3-dev libzstd-dev zlib1g-dev libtomlplusplus-dev \
      libpq-dev libdeflate-dev libnats-dev libsystemd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DOT_BUILD_TESTS=OFF -DOT_BUILD_BENCH=OFF \
 && cmake --build build \
 && (cd build && cpack -G DEB) \
 && build/bin/ot-feed replay tests/data/okx.raw | build/bin/ot-book > /dev/null

# --- runtime: the package on a slim base, run as a user of its own ---
FROM debian:bookworm-slim
COPY --from=build /src/build/optitrade_*_amd64.deb /tmp/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/optitrade_*_amd64.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/*.deb \
 && useradd --system --uid 10001 --home-dir /var/lib/optitrade --create-home --shell /usr/sbin/nologin optitrade
USER optitrade
WORKDIR /var/lib/optitrade
# --metrics HOST:PORT serves /metrics, /healthz and /readyz (man ot-metrics).
EXPOSE 9464
CMD ["ot-feed", "--help"]
