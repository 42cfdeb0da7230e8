#!/bin/sh
# Expand "# @include <file>" markers in a Dockerfile and print the result.
set -eu
awk '/^# @include / { while ((getline line < $3) > 0) print line; close($3); next } { print }' "$1"
