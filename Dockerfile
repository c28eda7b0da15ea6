# syntax=docker/dockerfile:1
# Build: a static (musl) binary, so the final image needs no libc.
#   docker build -t REGISTRY/falcon-scim-bridge:TAG .
#
# Layers: the planner reduces the workspace to a recipe (Cargo.toml files, Cargo.lock, stub
# targets); the build stage compiles the dependencies from that recipe alone (`cargo chef cook`),
# then copies the sources and builds only the workspace crates. A change to the code leaves the
# recipe unchanged, so the dependency layer comes from the cache; only Cargo.toml or Cargo.lock
# changes rebuild it.
FROM rust:1.95-bookworm AS chef
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl \
 && cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
# The same files as the build stage copies, so that tests/, docs or scripts never change the recipe.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY src ./src
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
# Dependencies only (their own cached layer). The same --target, profile and --bin as the build
# below, so that cargo resolves the same features and reuses every artifact.
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --target x86_64-unknown-linux-musl \
      --bin falcon-scim-bridge --recipe-path recipe.json
# The workspace itself: the binary (src/) and its library crates (crates/*, with
# crates/bridge/migrations, which sqlx::migrate! embeds at compile time).
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY src ./src
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin falcon-scim-bridge \
 && install -D target/x86_64-unknown-linux-musl/release/falcon-scim-bridge /out/falcon-scim-bridge \
 && mkdir -p /out/data

# Run: distroless, no shell, no curl; non-root (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="falcon-scim-bridge" \
      org.opencontainers.image.description="SCIM 2.0 service provider that provisions CrowdStrike Falcon users and roles" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/falcon-scim-bridge /usr/local/bin/falcon-scim-bridge
COPY --from=build --chown=65532:65532 /out/data /data
# The store: /data/falcon-scim-bridge.db on the volume (the same file name in deploy/).
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
