# syntax=docker/dockerfile:1
# modelrollout controller image. Never built on our dev machines (no Docker engine there): the
# builder runs scripts/install-deps.sh and scripts/docker-build-steps.sh, the same scripts
# `make test` and ctest (tests/chart docker checks) use, so this file cannot rot unnoticed.

FROM debian:12 AS builder
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN ./scripts/docker-build-steps.sh /src /build /out

FROM debian:12-slim
# Runtime libraries only: the shared objects the controller links (checked against ldd of a
# built controller by tests/chart/check_dockerfile.sh).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libcpprest2.10 \
      libcurl4 \
      libprometheus-cpp-core1.0 \
      libprometheus-cpp-pull1.0 \
      libspdlog1.10 \
      libssl3 \
      libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=builder /out/modelrollout-controller /usr/local/bin/modelrollout-controller
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/modelrollout-controller"]
