# One image, one entry point (the brainops CLI); the role is the command: api | worker | start | migrate.
# Stage 1 builds the Board's static bundle (needs the dev dependencies); stage 2 is the runtime.
FROM node:20-bookworm-slim AS board
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:board

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY . .
COPY --from=board /app/board/dist ./board/dist
RUN mkdir -p /app/.brainops && chown node:node /app/.brainops
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/brainops.mjs"]
CMD ["start"]
