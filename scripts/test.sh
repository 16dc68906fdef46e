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

# The secret store's AWS tests start moto_server (PyPI package moto[server]) on loopback.
if ! command -v moto_server >/dev/null 2>&1; then
  echo "installing moto[server] for the secret store's AWS tests"
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3 python3-pip
  fi
  python3 -m pip install --quiet 'moto[server]' \
    || python3 -m pip install --quiet --break-system-packages 'moto[server]'
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  PATH="$(python3 -m site --user-base)/bin:$PATH"
  export PATH
  hash -r
  command -v moto_server >/dev/null 2>&1 || { echo "moto_server is still not on PATH" >&2; exit 1; }
fi

# The demo's signing-script test runs bash, openssl and curl.
if ! command -v openssl >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  echo "installing openssl and curl for the shell signing test"
  apt-get update -qq && apt-get install -y -qq openssl curl
fi

cargo test --workspace "$@"
# zt-client's HTTP client integrations are features; their tests need them on.
cargo test -p zt-client --all-features "$@"
