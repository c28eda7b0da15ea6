# syntax=docker/dockerfile:1
# Build: a static (musl) binary, so the final image needs no libc.
FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY src ./src
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
 && install -D target/x86_64-unknown-linux-musl/release/falcon-scim-bridge /out/falcon-scim-bridge \
 && mkdir -p /out/data

# Run: distroless, no shell, no curl; non-root (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="falcon-scim-bridge" \
      org.opencontainers.image.description="SCIM 2.0 service provider that provisions CrowdStrike Falcon users and roles" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/falcon-scim-bridge /usr/local/bin/falcon-scim-bridge
COPY --from=build --chown=65532:65532 /out/data /data
ENV BRIDGE_LISTEN=0.0.0.0:8080 \
    BRIDGE_DATABASE_URL=sqlite:///data/falcon-scim-bridge.db \
    BRIDGE_LOG_FORMAT=json
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/falcon-scim-bridge", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/falcon-scim-bridge"]
CMD ["serve"]
