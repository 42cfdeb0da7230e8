ARG GO=1.22
FROM --platform=$BUILDPLATFORM golang:${GO} AS build
RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out ./...
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out /app
USER nonroot
ENTRYPOINT ["/app"]
