# One image, one entry point (the brainops CLI); the role is the command: api | worker | start | migrate.
# Stage 1 builds the Board's static bundle and the SDK's JavaScript (packages/sdk: the runtime
# imports the plugin contract from it); both need the dev dependencies. Stage 2 is the runtime.
FROM node:20-bookworm-slim AS board
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sdk/package.json ./packages/sdk/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build:sdk && npm run build:board

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/sdk/package.json ./packages/sdk/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY . .
COPY --from=board /app/board/dist ./board/dist
COPY --from=board /app/packages/sdk/dist ./packages/sdk/dist
RUN mkdir -p /app/.brainops && chown node:node /app/.brainops
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/brainops.mjs"]
CMD ["start"]
