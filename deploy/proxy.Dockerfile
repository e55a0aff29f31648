# The reverse proxy (deploy/nginx.conf) with the web chat's page in it: webchat/'s three files and
# the socket.io client from the committed package-lock.json (what `make setup` installs), served
# as /vendor/socket.io.min.js. The page's config.js comes from nginx.conf: Rasa is this same origin.
FROM node:20-bookworm-slim AS webchat
WORKDIR /webchat
COPY webchat/package.json webchat/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM nginx:1.28-alpine
COPY deploy/nginx.conf /etc/nginx/nginx.conf
COPY webchat/index.html webchat/app.js webchat/style.css /srv/bottega/webchat/
COPY --from=webchat /webchat/node_modules/socket.io-client/dist/socket.io.min.js /srv/bottega/webchat/vendor/
