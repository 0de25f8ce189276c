# syntax=docker/dockerfile:1
# modelrollout controller image. Never built on our dev machines (no Docker engine there): the
# builder runs scripts/install-deps.sh and scripts/docker-build-steps.sh, the same scripts
# `make test` and ctest (tests/chart docker checks) use, so this file cannot rot unnoticed.
# Multi-arch: `docker buildx build --platform linux/amd64,linux/arm64 .` builds each platform
# natively in its own builder (.github/workflows/release.yml).

FROM debian:12 AS builder
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN ./scripts/docker-build-steps.sh /src /build /out

# Runtime: distroless cc (glibc, libstdc++, CA certificates, no shell, no package manager) as
# its nonroot user 65532. The controller's other shared libraries (cpprest, prometheus-cpp,
# spdlog, yaml-cpp, OpenSSL, ...) are the builder's own copies, collected by
# scripts/collect-runtime-libs.sh (checked against the built controller by
# tests/chart/check_dockerfile.sh).
FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="modelrollout-controller" \
      org.opencontainers.image.description="Kubernetes operator that rolls out ML model servers as analysed canaries" \
      org.opencontainers.image.url="https://github.com/modelrollout/modelrollout" \
      org.opencontainers.image.source="https://github.com/modelrollout/modelrollout" \
      org.opencontainers.image.documentation="https://github.com/modelrollout/modelrollout/tree/main/docs" \
      org.opencontainers.image.vendor="modelrollout" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=builder /out/lib/ /usr/lib/modelrollout/
COPY --from=builder /out/modelrollout-controller /usr/local/bin/modelrollout-controller
ENV LD_LIBRARY_PATH=/usr/lib/modelrollout
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/modelrollout-controller"]
