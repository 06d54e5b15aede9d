# syntax=docker/dockerfile:1
#
# Gatehouse container image. See docs/DEPLOYMENT.md.
#
#   docker build -t gatehouse:local .
#
# Layout inside the image (src/config/paths.ts finds views/ and config/ three levels above
# dist/src/config/paths.js, so dist/, views/ and config/ must be siblings):
#
#   /app/package.json
#   /app/node_modules/      production dependencies only (argon2 uses its bundled glibc prebuild);
#                           node_modules/@gatehouse/verifier links to packages/verifier (npm workspace)
#   /app/packages/verifier/ @gatehouse/verifier, built (package.json and dist/src): what
#                           `gatehouse/verifier` re-exports
#   /app/packages/console/  the admin console served at /admin: public/ (page, stylesheet) and
#                           dist/ (its browser scripts, compiled by the same `tsc -b`)
#   /app/dist/src/          compiled server and CLI (dist/src/main.js, dist/src/cli/main.js)
#   /app/dist/migrations/   compiled migrations (listed in migrations/index.ts, no directory scan)
#   /app/views/             page templates and views/static/gatehouse.css
#   /app/config/            import.schema.json (read by `gatehouse import` and GATEHOUSE_IMPORT)
#   /app/keys/              signing keys (jwks.json); mount a volume shared by every node here
#   /app/data/              embedded PGlite database, only used when DATABASE_URL is unset

ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Dependencies first, so source edits do not invalidate this layer. npm ci needs the manifest of
# every workspace package the lockfile names.
COPY package.json package-lock.json ./
COPY packages/verifier/package.json ./packages/verifier/package.json
COPY packages/console/package.json ./packages/console/package.json
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

# Only what the server needs is compiled: the tsconfigs also include test/, bench/ and examples/,
# which are not copied (tsc skips include patterns that match nothing). `tsc -b` builds
# packages/verifier (a project reference) before the server.
COPY tsconfig.json ./
COPY packages/verifier/tsconfig.json ./packages/verifier/tsconfig.json
COPY packages/verifier/src ./packages/verifier/src
COPY packages/console/tsconfig.json ./packages/console/tsconfig.json
COPY packages/console/src ./packages/console/src
COPY src ./src
COPY migrations ./migrations
RUN npx tsc -b \
 && test -f packages/verifier/dist/src/index.js \
 && test -f packages/console/dist/main.js \
 && test -f dist/src/main.js \
 && test -f dist/src/cli/main.js \
 && test -f dist/migrations/index.js \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    PORT=3000 \
    GATEHOUSE_KEYS_DIR=/app/keys \
    GATEHOUSE_DATA_DIR=/app/data

WORKDIR /app

# Application files stay owned by root (read-only to the service user).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages/verifier/package.json ./packages/verifier/package.json
COPY --from=build /app/packages/verifier/dist/src ./packages/verifier/dist/src
COPY --from=build /app/packages/console/package.json ./packages/console/package.json
COPY --from=build /app/packages/console/dist ./packages/console/dist
COPY packages/console/public ./packages/console/public
COPY --from=build /app/dist ./dist
COPY views ./views
COPY config ./config

# keys/ and data/ are the only places Gatehouse writes. They belong to the image's non-root
# `node` user (uid 1000); an empty named volume mounted on them inherits this owner and mode
# when it is first used. `gatehouse` on PATH runs the CLI (same as node dist/src/cli/main.js).
RUN mkdir -p /app/keys /app/data \
 && chown node:node /app/keys /app/data \
 && chmod 0700 /app/keys /app/data \
 && chmod 0755 /app/dist/src/cli/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/gatehouse

USER node

EXPOSE 3000

# Slim images have no curl: use Node's built-in fetch. /healthz only says the process answers;
# /readyz also checks the database and Redis.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself (src/main.ts closes the server cleanly).
# dist/src/main.js sets its own memory settings (src/config/memory-settings.ts; it re-executes
# itself once, keeping PID 1): no flags or malloc variables belong here.
CMD ["node", "dist/src/main.js"]
