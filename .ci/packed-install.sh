#!/usr/bin/env bash
# The packages as a user gets them: `npm pack` every package, check what each tarball holds, install
# the tarballs into a fresh folder outside the repository (no workspace links), then type-check the
# README's example with `skipLibCheck: false` and run it with plain `node`, once on SQLite (what
# `npm install spool` gives), once with @spool/postgres against PostgreSQL and once with
# @spool/mysql against MySQL or MariaDB. The framework integrations are installed with their
# frameworks, type-checked the same way and loaded. Prints the install size and the import time of `spool` for
# a SQLite user.
#
# Needs only the npm registry (for the published dependencies, typescript and @types/node). The
# native SQLite driver is not built here: its install script downloads a prebuilt binary from
# GitHub or compiles against headers from nodejs.org, so the repository's own build (same version,
# same Node.js) is copied in; it is not a Spool file.
# Expects `npm run build` to have run. PostgreSQL: SPOOL_TEST_POSTGRES_URL, else 127.0.0.1:5432/test;
# MySQL or MariaDB: SPOOL_TEST_MYSQL_URL, else root@127.0.0.1:3306/test.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
pg_url="${SPOOL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
mysql_url="${SPOOL_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
work="$(mktemp -d "${TMPDIR:-/tmp}/spool-packed-XXXXXX")"
trap '[ -n "${KEEP_PACKED:-}" ] || rm -rf "$work"' EXIT
npm_quiet=(--no-audit --no-fund --prefer-offline --loglevel=error)

echo "== pack"
mkdir -p "$work/tarballs"
for package in core conformance sqlite postgres redis mysql s3 dashboard spool fastify express hono nestjs; do
  npm pack --silent --workspace "packages/$package" --pack-destination "$work/tarballs" >/dev/null
done
node .ci/packed-contents.mjs "$work/tarballs"
tarball() { ls "$work/tarballs"/"$1"-[0-9]*.tgz; }

echo "== install spool from its tarballs into $work/app"
mkdir -p "$work/app"
cd "$work/app"
sqlite_version="$(node -p "require('$repo/node_modules/better-sqlite3/package.json').version")"
cat > package.json <<JSON
{ "name": "packed-app", "private": true, "type": "module", "overrides": { "better-sqlite3": "$sqlite_version" } }
JSON
npm install "${npm_quiet[@]}" --ignore-scripts \
  "$(tarball spool-core)" "$(tarball spool-sqlite)" "$(tarball spool-dashboard)" "$(tarball spool)"
mkdir -p node_modules/better-sqlite3/build/Release
cp "$repo/node_modules/better-sqlite3/build/Release/better_sqlite3.node" node_modules/better-sqlite3/build/Release/
if [ -e node_modules/pg ] || [ -e node_modules/ioredis ] || [ -e node_modules/mysql2 ] || [ -e node_modules/@aws-sdk/client-s3 ] \
  || [ -e node_modules/@spool/postgres ] || [ -e node_modules/@spool/redis ] || [ -e node_modules/@spool/mysql ] || [ -e node_modules/@spool/s3 ]; then
  echo "npm install spool brought a driver of an optional storage:" >&2; ls node_modules node_modules/@spool >&2; exit 1
fi
echo "install size for a SQLite user: $(du -sh node_modules | cut -f1) in $(find node_modules -name package.json -maxdepth 3 -not -path '*/node_modules/*/node_modules/*' | wc -l | tr -d ' ') package.json files ($(ls node_modules | wc -l | tr -d ' ') top-level entries)"
node --input-type=module -e "
const start = performance.now();
await import('spool');
console.log('import(\"spool\"), first in a fresh process: ' + (performance.now() - start).toFixed(0) + ' ms');"

echo "== type-check the README example (skipLibCheck: false) and run it with node"
npm install "${npm_quiet[@]}" --ignore-scripts --save-dev typescript@~5.9.3 @types/node@^20.19.43
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "skipLibCheck": false, "types": ["node"], "outDir": "out"
  },
  "include": ["*.ts"]
}
JSON
node "$repo/.ci/readme-example.mjs" "$repo/README.md" > readme.ts
npx tsc -p .
printf '%s\n' "$(node out/readme.js)" | tee readme.out
grep -qx "succeeded" readme.out

echo "== the framework integrations with their frameworks: type-check (skipLibCheck: false) and load"
# The frameworks at the versions the repository tests with.
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }
npm install "${npm_quiet[@]}" --ignore-scripts \
  "$(tarball spool-fastify)" "$(tarball spool-express)" "$(tarball spool-hono)" "$(tarball spool-nestjs)" \
  "fastify@$(version_of fastify)" "express@$(version_of express)" "@types/express@$(version_of @types/express)" \
  "hono@$(version_of hono)" "@hono/node-server@$(version_of @hono/node-server)" \
  "@nestjs/common@$(version_of @nestjs/common)" "@nestjs/core@$(version_of @nestjs/core)" \
  "@nestjs/platform-express@$(version_of @nestjs/platform-express)" "reflect-metadata@$(version_of reflect-metadata)" "rxjs@$(version_of rxjs)"
cat > integrations.ts <<'TS'
import 'reflect-metadata';
import Fastify from 'fastify';
import { Spool } from 'spool';
import { spoolPlugin } from '@spool/fastify';
import { spoolExpress, spoolOf } from '@spool/express';
import type { SpoolEnv } from '@spool/hono';
import { spoolHono } from '@spool/hono';
import type { SpoolJobHandler } from '@spool/nestjs';
import { SpoolClient, SpoolJob, SpoolModule } from '@spool/nestjs';

const spool = new Spool({ storage: 'memory:' });
const app = Fastify();
await app.register(spoolPlugin, { spool, server: false, dashboard: { path: '/admin/spool' } });
const client = app.spool;
const express = await spoolExpress({ spool, server: false });
const hono = await spoolHono({ spool, server: false });
const env: SpoolEnv['Variables'] = { spool: client };
const job: SpoolJobHandler<{ to: string }> = { run: (args) => void args.to };
void [express.router, spoolOf, hono.middleware, env, job, SpoolClient, SpoolJob('packed.job'), SpoolModule.forRoot({ spool })];
await app.close();
console.log('integrations loaded');
TS
npx tsc -p .
node out/integrations.js | tee integrations.out
grep -qx "integrations loaded" integrations.out
rm integrations.ts

# Runs the README example on the storage URL $2 (the pass named $1) with the TypeScript read from
# stdin appended (the storage package's own types, checked with skipLibCheck: false), then the
# JavaScript $3, which drops what the example created; fails unless the example printed "succeeded".
readme_on() {
  local name="$1" url="$2" drop="$3" status=0
  rm -f readme*.ts
  { node "$repo/.ci/readme-example.mjs" "$repo/README.md" "$url"; cat; } > "readme-$name.ts"
  npx tsc -p .
  printf '%s\n' "$(node "out/readme-$name.js")" | tee readme.out || status=$?
  node --input-type=module -e "$drop"
  [ "$status" = 0 ] && grep -qx "succeeded" readme.out
}

echo "== the same with @spool/postgres against PostgreSQL"
npm install "${npm_quiet[@]}" --ignore-scripts "$(tarball spool-postgres)" "$(tarball spool-redis)"
schema="packed_$$_$(date +%s)"
readme_on postgres "$pg_url?schema=$schema" "
import pg from 'pg';
const client = new pg.Client({ connectionString: '$pg_url' });
await client.connect();
await client.query('DROP SCHEMA IF EXISTS $schema CASCADE');
await client.end();" <<'TS'
import { PostgresStorage } from '@spool/postgres';
import type { PostgresStorageOptions } from '@spool/postgres';
const options: PostgresStorageOptions = { connectionString: 'postgres://127.0.0.1/test' };
void new PostgresStorage(options).close();
TS

echo "== the same with @spool/mysql against MySQL or MariaDB"
npm install "${npm_quiet[@]}" --ignore-scripts "$(tarball spool-mysql)"
prefix="packed_$$_$(date +%s)_"
readme_on mysql "$mysql_url?prefix=$prefix" "
import mysql from 'mysql2/promise';
const connection = await mysql.createConnection({ uri: '$mysql_url' });
const [tables] = await connection.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()');
for (const { name } of tables) if (name.startsWith('$prefix')) await connection.query('DROP TABLE ' + connection.escapeId(name));
await connection.end();" <<'TS'
import { MySqlStorage } from '@spool/mysql';
import type { MySqlStorageOptions } from '@spool/mysql';
const options: MySqlStorageOptions = { url: 'mysql://127.0.0.1:3306/test' };
void new MySqlStorage(options).close();
TS
echo "packed install: ok"
