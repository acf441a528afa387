# One multi-target image build: `--target gateway` (or roster, offline, archive, janitor, upload, profile).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
USER node

FROM runtime AS gateway
ENV C2S_HOST=0.0.0.0 HTTP_HOST=0.0.0.0 DATA_DIR=/data
EXPOSE 5222 5223 5281 8080
CMD ["node", "--enable-source-maps", "dist/services/gateway/src/main.js"]

FROM runtime AS roster
ENV HTTP_HOST=0.0.0.0
CMD ["node", "--enable-source-maps", "dist/services/roster/src/main.js"]

FROM runtime AS offline
ENV HTTP_HOST=0.0.0.0
CMD ["node", "--enable-source-maps", "dist/services/offline/src/main.js"]

FROM runtime AS archive
ENV HTTP_HOST=0.0.0.0
CMD ["node", "--enable-source-maps", "dist/services/archive/src/main.js"]

FROM runtime AS janitor
ENV HTTP_HOST=0.0.0.0
CMD ["node", "--enable-source-maps", "dist/services/janitor/src/main.js"]

FROM runtime AS upload
USER root
RUN mkdir -p /data/uploads && chown node:node /data/uploads
USER node
ENV HTTP_HOST=0.0.0.0 UPLOAD_HTTP_HOST=0.0.0.0 UPLOAD_DIR=/data/uploads
EXPOSE 5280
VOLUME /data/uploads
CMD ["node", "--enable-source-maps", "dist/services/upload/src/main.js"]

FROM runtime AS profile
ENV HTTP_HOST=0.0.0.0
CMD ["node", "--enable-source-maps", "dist/services/profile/src/main.js"]
