# One image for the ingress, the worker and the Meta simulator (TypeScript run with tsx, no build step).
#   docker build -t wa-template-gateway .
#   docker run --rm -e STACKS_FILE=... wa-template-gateway                 # ingress (default)
#   docker run --rm ... wa-template-gateway node --import tsx apps/worker/src/main.ts
FROM node:20-bookworm-slim

# pnpm from npm: corepack fails against registries that serve unsigned metadata.
RUN npm install -g pnpm@12.4.2 && npm cache clean --force

WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first, from the lockfile alone, so source changes reuse this layer.
COPY --chown=node:node pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch

COPY --chown=node:node . .
RUN pnpm install --frozen-lockfile --offline

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    WORKER_METRICS_HOST=0.0.0.0 \
    WORKER_METRICS_PORT=9464 \
    INGRESS_METRICS_HOST=0.0.0.0 \
    INGRESS_METRICS_PORT=9480
EXPOSE 8080 9464 9480

# SIGTERM reaches node directly (no shell): the processes drain in-flight work on shutdown.
# The ingress's V8 flags (INGRESS_NODE_FLAGS in packages/process-tools; docs/operating.md) bound what a
# 100 MB media upload or download adds to its memory.
CMD ["node", "--no-wasm-tier-up", "--no-wasm-dynamic-tiering", "--import", "tsx", "apps/ingress/src/main.ts"]
