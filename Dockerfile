# syntax=docker/dockerfile:1
# Build: one static binary with templates, assets and migrations embedded.
# 1.26.10 or later: it fixes the standard library vulnerabilities govulncheck lists for 1.26.8
# (see .ci/vuln-allow.txt).
FROM golang:1.26.10-bookworm AS build
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
