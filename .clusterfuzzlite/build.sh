#!/bin/bash -eu
# Builds softcheck's libFuzzer targets the way OSS-Fuzz and ClusterFuzzLite
# expect: with their compiler ($CC, $CXX), their flags ($CFLAGS, $CXXFLAGS:
# the sanitizer and -fsanitize=fuzzer-no-link) and their engine
# ($LIB_FUZZING_ENGINE), into $OUT, each target beside its seed corpus
# (<target>_seed_corpus.zip) and dictionary (<target>.dict).
#
# Tested outside Docker (docs/fuzzing.md) by setting the variables by hand:
#   SRC=... OUT=... WORK=... CC=clang-14 CXX=clang++-14 \
#   CFLAGS=... CXXFLAGS=... LIB_FUZZING_ENGINE=-fsanitize=fuzzer .clusterfuzzlite/build.sh
# The naive_overflow demonstration target is left out: it crashes by design.
root="${SOFTCHECK_SRC:-$SRC/softcheck}"
build="${WORK:-/tmp}/softcheck-fuzz-build"
targets="softmax_f32 softmax_f64 attention_f32"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DSOFTCHECK_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
fuzzers=""
for t in $targets; do fuzzers="$fuzzers fuzz_$t"; done
cmake --build "$build" --parallel "$(nproc)" --target $fuzzers

for t in $targets; do
  cp "$build/fuzz/$t" "$OUT/$t"
  cp "$root/fuzz/dict/$t.dict" "$OUT/$t.dict"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$root/fuzz/corpus/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
done
