#!/bin/sh
# Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d): one role and
# one database each for the shop and Rasa's conversations, with passwords from the env file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v shop_password="$SHOP_DB_PASSWORD" -v rasa_password="$RASA_DB_PASSWORD" <<'SQL'
CREATE ROLE shop LOGIN PASSWORD :'shop_password';
CREATE DATABASE shop OWNER shop;
CREATE ROLE rasa LOGIN PASSWORD :'rasa_password';
CREATE DATABASE rasa OWNER rasa;
SQL
