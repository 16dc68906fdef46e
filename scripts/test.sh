#!/usr/bin/env bash
# Runs every test of the workspace, installing what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

# The interoperability suite runs a real OpenID provider (npm package oidc-provider).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "installing Node.js and npm for the OpenID provider interoperability suite"
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
npm ci --prefix interop/oidc-provider --no-audit --no-fund --loglevel=error

cargo test --workspace "$@"
