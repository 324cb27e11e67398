# syntax=docker/dockerfile:1
# The worker image: Node 20 running the production build (`npm run build`: our TypeScript compiled
# to dist/ and the workflow code bundled once), with the validators the worker shells out to
# (kubectl, kustomize, helm) built from pinned Go modules, as a non-root user.

# --- kubectl, kustomize and helm from the Go module proxy: go.sum and the checksum database
# (sum.golang.org) verify every module, so no release binary is trusted unchecked.
FROM golang:1.26.8-bookworm AS tools
ARG KUBECTL_VERSION=v1.34.2
ARG KUSTOMIZE_VERSION=v5.8.1
ARG HELM_VERSION=v3.22.0
ENV CGO_ENABLED=0 GOBIN=/out GOFLAGS=-trimpath
WORKDIR /src/kubectl
# k8s.io/kubectl v0.34.2 is kubectl v1.34.2; its go.sum is committed beside the entry point.
COPY docker/kubectl/ ./
RUN go build -ldflags "-s -w -X k8s.io/client-go/pkg/version.gitVersion=${KUBECTL_VERSION} -X k8s.io/component-base/version.gitVersion=${KUBECTL_VERSION}" -o /out/kubectl . \
 && go install -ldflags "-s -w" "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}" \
 && go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" \
 && /out/kubectl version --client \
 && /out/kustomize version \
 && /out/helm version --short

# --- the production build (scripts/build.ts): dist/infra-implementor.mjs and its chunks (esbuild,
# npm packages left as imports) and dist/workflow-bundle.js, which the worker loads instead of
# bundling the workflow code at start-up. It needs the dev dependencies (tsx, esbuild); install
# scripts are not needed (esbuild and swc ship their binaries as packages).
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY core ./core
COPY activities ./activities
COPY implementers ./implementers
COPY runtime ./runtime
COPY validation ./validation
COPY workflows ./workflows
COPY worker ./worker
COPY client ./client
RUN npm run build

# --- production npm dependencies only: the image runs the build, so tsx and esbuild stay out.
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM node:20.20.2-bookworm-slim AS runtime
# git (and ssh for ssh remotes): runs clone their remote and push their branch. Versions follow the
# pinned base image's suite so that security updates land on rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git openssh-client \
 && rm -rf /var/lib/apt/lists/*
COPY --from=tools /out/kubectl /out/kustomize /out/helm /usr/local/bin/
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# package.json: `check --format sarif` reads the version from dist/../package.json.
COPY package.json package-lock.json ./
COPY --from=build /app/dist ./dist
# The root file system may be read-only (Kubernetes, compose): state and caches go to volumes or /tmp.
RUN mkdir -p /var/lib/infra-implementor && chown 1000:1000 /var/lib/infra-implementor
# Memory settings the process can only get from its environment (the throughput benchmark runs the
# worker with these same variables, read from this file; bench/RESULTS.md has the side-by-side runs):
# - V8 heap budget per isolate (the main thread's heap is ~60 MB live, the workflow thread's ~25 MB
#   plus ~0.6 MB per cached run): a 256 MB old space makes V8 collect before garbage piles up, and
#   semi-spaces of 2 MB (default up to 16 MB, times three per isolate) keep the young generation small;
# - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (the Temporal core's Rust runtime runs
#   many) an arena of its own, up to 8 per core, and memory freed in one arena is not reused by another.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=2" \
    MALLOC_ARENA_MAX=2 \
    TEMPORAL_ADDRESS=localhost:7233 \
    TEMPORAL_NAMESPACE=default \
    TEMPORAL_TASK_QUEUE=infra-implementor \
    INFRA_IMPLEMENTOR_STATE_DIR=/var/lib/infra-implementor \
    INFRA_IMPLEMENTOR_HEALTH_PORT=8081 \
    HOME=/tmp \
    HELM_CACHE_HOME=/tmp/helm/cache \
    HELM_CONFIG_HOME=/tmp/helm/config \
    HELM_DATA_HOME=/tmp/helm/data
# The node image's unprivileged user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.INFRA_IMPLEMENTOR_HEALTH_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/infra-implementor.mjs"]
CMD ["worker"]
