# syntax=docker/dockerfile:1
# Parley: one image for every service; the command picks what runs (scripts/docker-entrypoint.sh):
#   docker run IMAGE gateway | roster | offline | archive | janitor | upload | profile
#   docker run IMAGE migrate            every service's database migrations
#   docker run IMAGE ctl help           the admin CLI
# Build and push a release (README, "Build the image"):
#   docker build --build-arg VERSION=0.1.0 -t registry.example.org/parley:0.1.0 .
#   docker push registry.example.org/parley:0.1.0
# Reproducible: the base image is pinned (pin it by digest too for a release: NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:...),
# dependencies come from package-lock.json only (npm ci), and the build stage's tools never reach the runtime stage.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Compiles TypeScript to dist/ (swc; dev dependencies only here).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json ./
COPY scripts/build.mjs scripts/
COPY libs libs
COPY services services
RUN node scripts/build.mjs --clean

# Runtime dependencies only, from the lockfile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
LABEL org.opencontainers.image.title="parley" \
      org.opencontainers.image.description="Parley: a privacy-first public XMPP service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
# Listeners on every interface inside the container (the defaults are loopback); the
# health/metrics port (HTTP_PORT) is still never published by compose nor put in a Service.
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    C2S_HOST=0.0.0.0 \
    UPLOAD_HTTP_HOST=0.0.0.0 \
    DATA_DIR=/data \
    UPLOAD_DIR=/data/uploads
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY scripts/docker-entrypoint.sh scripts/migrate.mjs scripts/image-layout.sh scripts/
# The writable directories, owned by the unprivileged user (uid 1000, `node` in the base
# image): a named volume mounted there starts with this ownership.
RUN sh scripts/image-layout.sh / 1000 1000
USER 1000:1000
EXPOSE 5222 5223 5280 5281 8080
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD ["gateway"]
