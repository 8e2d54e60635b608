# Gantry: one image, one process per container, chosen by argument:
#   docker run gantry            → all-in-one (server + drain + scheduler)
#   docker run gantry server     → server only (also: drain, scheduler)
#   docker run -e GANTRY_WORKER_POOL_TOKEN=… gantry worker   → a worker of that pool
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/patch_dependencies.mjs scripts/
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system gantry && useradd --system --gid gantry --home-dir /var/lib/gantry --create-home gantry
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json deno.json main.ts ./
COPY shared ./shared
COPY server ./server
COPY drain ./drain
COPY scheduler ./scheduler
COPY worker ./worker
COPY docker/entrypoint.sh /usr/local/bin/gantry
ENV GANTRY_DATA_DIR=/var/lib/gantry NODE_ENV=production
USER gantry
EXPOSE 1983 1984
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/gantry"]
CMD ["all"]
