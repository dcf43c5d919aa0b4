# syntax=docker/dockerfile:1
# Build: one static binary with templates, assets and migrations embedded.
# go1.27.3, as `make` uses (the Makefile exports GOTOOLCHAIN): it has the standard library's security
# fixes that go1.26.8 lacks (see .ci/vuln-allow.txt).
FROM golang:1.27.3-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/dynamicmotion .

# Run: distroless "static" has CA certificates and tzdata, no shell, and a
# non-root user. The binary also embeds Europe/London itself.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dynamicmotion /dynamicmotion
USER nonroot:nonroot
EXPOSE 8080
# fly.toml's release_command ("migrate") replaces CMD, not ENTRYPOINT.
ENTRYPOINT ["/dynamicmotion"]
CMD ["serve"]
