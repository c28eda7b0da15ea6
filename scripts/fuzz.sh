#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time (FUZZ_SECONDS each, default 60).
# Builds are release with debug assertions and overflow checks (cargo-fuzz's default).
# Needs a nightly toolchain; installs cargo-fuzz from crates.io when it is missing. Without a
# nightly toolchain it says so and exits 0: the corpus test in `cargo test` still runs.
# A crash fails the run and leaves its input under fuzz/artifacts/TARGET/; fix the bug, then
# copy the input to fuzz/regressions/TARGET/ so crates/scim-harness/tests/decoder_corpus.rs keeps checking it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-60}
targets=(filter list_query patch user_body group_body)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: skipped: no nightly toolchain (rustup toolchain install nightly to enable)"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  if ! timeout 900 cargo install cargo-fuzz --locked --quiet; then
    echo "fuzz: skipped: cargo-fuzz is not installed and could not be installed"
    exit 0
  fi
fi
cargo +nightly --version
cargo fuzz --version

if ! cargo +nightly fuzz build; then
  echo "fuzz: SKIPPED: the fuzz targets did not build with this nightly toolchain (see above)"
  exit 0
fi

failed=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "--- fuzz $target (${seconds} s)"
  # -rss_limit_mb bounds memory per input; -timeout flags an input that takes over 10 s.
  if ! cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      2>"artifacts-$target.log"; then
    tail -n 40 "artifacts-$target.log"
    failed+=("$target")
  else
    grep -E '^stat::number_of_executed_units|^Done' "artifacts-$target.log" || true
  fi
  rm -f "artifacts-$target.log"
done

if ((${#failed[@]})); then
  echo "fuzz: crashes in: ${failed[*]} (inputs under fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each without a crash"
