# syntax=docker/dockerfile:1
FROM alpine
RUN <<EOF
set -e
apk add curl
EOF
COPY <<-"A" /a <<'B' /b
	hello
	A
world
B
RUN python3 <<PY > /out
print(1)
PY
