#!/usr/bin/env bash
# Re-fetch the vendored front-end files from the npm registry and verify them
# against the checksums pinned in SHA256SUMS. `make vendor` runs it;
# `make vendor VERIFY=1` only checks the committed files.
#
# To upgrade: change the version below, run `UPDATE=1 ./fetch.sh`, review the
# diff of SHA256SUMS and the file, and commit both.
set -euo pipefail
cd "$(dirname "$0")"

HTMX_VERSION=2.0.11
SSE_VERSION=2.2.4 # htmx-ext-sse: Server-Sent Events for htmx 2 (live comments)

if [[ ${VERIFY:-} == 1 ]]; then
  sha256sum --check --strict SHA256SUMS
  exit 0
fi

command -v npm >/dev/null || { echo "fetch.sh: npm is needed to fetch from the npm registry (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm pack checks the registry's integrity hash of each tarball itself.
(cd "$tmp" && npm pack --silent "htmx.org@${HTMX_VERSION}" "htmx-ext-sse@${SSE_VERSION}" >/dev/null)
mkdir -p "$tmp/out"
tar -xzf "$tmp"/htmx.org-"${HTMX_VERSION}".tgz -C "$tmp" package/dist/htmx.min.js
mv "$tmp"/package/dist/htmx.min.js "$tmp"/out/htmx.min.js
tar -xzf "$tmp"/htmx-ext-sse-"${SSE_VERSION}".tgz -C "$tmp" package/dist/sse.min.js
mv "$tmp"/package/dist/sse.min.js "$tmp"/out/htmx-ext-sse.min.js
if [[ ${UPDATE:-} == 1 ]]; then
  cp "$tmp"/out/*.js .
  sha256sum htmx.min.js htmx-ext-sse.min.js > SHA256SUMS
  echo "htmx.org@${HTMX_VERSION}, htmx-ext-sse@${SSE_VERSION}: SHA256SUMS updated"
else
  # Check the downloads against the pinned sums before they replace anything.
  (cd "$tmp"/out && sha256sum --check --strict "$OLDPWD"/SHA256SUMS)
  cp "$tmp"/out/*.js .
fi
