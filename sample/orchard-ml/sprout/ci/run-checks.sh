#!/bin/sh
set -eu
find src include -name '*.cpp' -o -name '*.h' | xargs clang-format-15 --dry-run --Werror
ruff check python/ && mypy python/sprout
shellcheck docker/*.sh ci/*.sh
cmake -S . -B build-ci -G Ninja -DSPROUT_CUDA=OFF -DSPROUT_TESTS=ON && cmake --build build-ci
ctest --test-dir build-ci --output-on-failure
pip3 install ./python && pytest -q python/tests
