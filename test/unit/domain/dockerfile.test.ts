import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/domain/dockerfile';

const D = 'sha256:' + 'c'.repeat(64);

interface Case {
  name: string;
  dockerfile: string;
  references: string[];
  /** Each pattern must match one warning, and there must be exactly this many warnings. */
  warnings?: RegExp[];
}

function lines(...l: string[]): string {
  return l.join('\n');
}

describe('parseDockerfile', () => {
  const cases: Case[] = [
    { name: 'a single FROM', dockerfile: 'FROM node:20-alpine\nRUN npm ci\n', references: ['docker.io/library/node:20-alpine'] },
    { name: 'FROM without tag means latest', dockerfile: 'FROM ubuntu', references: ['docker.io/library/ubuntu:latest'] },
    { name: 'case-insensitive instructions', dockerfile: 'from node:20 as build\nFrOm nginx', references: ['docker.io/library/node:20', 'docker.io/library/nginx:latest'] },
    { name: 'registry with port and digest', dockerfile: `FROM localhost:5000/team/base:1\nFROM mcr.microsoft.com/dotnet/sdk@${D}`, references: ['localhost:5000/team/base:1', `mcr.microsoft.com/dotnet/sdk@${D}`] },
    {
      name: '--platform flags and AS names',
      dockerfile: lines('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM --platform=linux/amd64 alpine:3.20 AS final'),
      references: ['docker.io/library/golang:1.22', 'docker.io/library/alpine:3.20'],
    },
    {
      name: 'stage names are not images, case-insensitively',
      dockerfile: lines('FROM node:20 AS Build', 'RUN make', 'FROM build AS test', 'FROM BUILD', 'FROM nginx:1.27'),
      references: ['docker.io/library/node:20', 'docker.io/library/nginx:1.27'],
    },
    { name: 'scratch is no image', dockerfile: lines('FROM golang:1.22 AS b', 'FROM scratch', 'COPY --from=b /app /app'), references: ['docker.io/library/golang:1.22'] },
    { name: 'duplicates appear once', dockerfile: lines('FROM node:20 AS a', 'FROM node:20 AS b', 'FROM docker.io/library/node:20'), references: ['docker.io/library/node:20'] },
    {
      name: 'global ARG defaults: $NAME and ${NAME}',
      dockerfile: lines('ARG NODE=20', 'ARG REGISTRY=ghcr.io/team', 'FROM node:$NODE', 'FROM ${REGISTRY}/base:${NODE}-slim'),
      references: ['docker.io/library/node:20', 'ghcr.io/team/base:20-slim'],
    },
    {
      name: 'quoted ARG defaults and several per line',
      dockerfile: lines('ARG A="alpine" B=\'3.20\'', 'FROM $A:$B'),
      references: ['docker.io/library/alpine:3.20'],
    },
    {
      name: 'ARG defaults may use earlier ARGs',
      dockerfile: lines('ARG V=1.22', 'ARG IMAGE=golang:${V}', 'FROM $IMAGE'),
      references: ['docker.io/library/golang:1.22'],
    },
    {
      name: '${NAME:-default} without a default uses the fallback',
      dockerfile: lines('ARG TAG', 'FROM node:${TAG:-18}', 'ARG X=', 'FROM alpine:${X:-3}', 'FROM alpine:${Y:-edge}'),
      references: ['docker.io/library/node:18', 'docker.io/library/alpine:3', 'docker.io/library/alpine:edge'],
    },
    {
      name: '${NAME:+x} and ${NAME-x}',
      dockerfile: lines('ARG SLIM=1', 'ARG NONE', 'ARG EMPTY=', 'FROM debian:12${SLIM:+-slim}', 'FROM debian:11${NONE:+-slim}', 'FROM debian:${EMPTY-x}10', 'FROM debian:${NONE-9}'),
      references: ['docker.io/library/debian:12-slim', 'docker.io/library/debian:11', 'docker.io/library/debian:10', 'docker.io/library/debian:9'],
    },
    {
      name: 'nested default',
      dockerfile: lines('ARG V=7', 'ARG T', 'FROM redis:${T:-${V}-alpine}'),
      references: ['docker.io/library/redis:7-alpine'],
    },
    {
      name: 'an ARG without default that is needed: warning, skipped',
      dockerfile: lines('ARG BASE', 'FROM $BASE', 'FROM node:${BASE}', 'FROM alpine:3'),
      references: ['docker.io/library/alpine:3'],
      warnings: [/line 2: FROM "\$BASE": ARG BASE has no default/, /line 3: FROM "node:\$\{BASE\}": ARG BASE has no default/],
    },
    {
      name: 'ARGs after the first FROM do not reach FROM',
      dockerfile: lines('FROM alpine:3 AS a', 'ARG LATE=1', 'FROM node:${LATE:-20}'),
      references: ['docker.io/library/alpine:3', 'docker.io/library/node:20'],
    },
    {
      name: 'an undeclared variable expands to nothing, with a warning',
      dockerfile: lines('FROM ${MIRROR}alpine:3'),
      references: ['docker.io/library/alpine:3'],
      warnings: [/\$MIRROR is not declared as an ARG before the first FROM/],
    },
    {
      name: 'escaped dollar is literal (and then invalid)',
      dockerfile: lines('ARG V=1', 'FROM alpine:\\$V'),
      references: [],
      warnings: [/"alpine:\$V" is not a valid image reference/],
    },
    {
      name: 'an unparsable reference is a warning',
      dockerfile: lines('FROM Node:20', 'FROM alpine:3', 'FROM'),
      references: ['docker.io/library/alpine:3'],
      warnings: [/line 1: FROM "Node:20" is not a valid image reference .*lowercase/, /line 3: FROM without an image/],
    },
    {
      name: 'unsupported expansion is a warning',
      dockerfile: lines('ARG V=1.2.3', 'FROM node:${V%.*}'),
      references: [],
      warnings: [/unsupported variable expansion/],
    },
    {
      name: 'COPY --from an image, a stage name and a stage index',
      dockerfile: lines(
        'FROM golang:1.22 AS build',
        'FROM alpine:3',
        'COPY --from=build /out /app',
        'COPY --from=0 /out /app2',
        'COPY --chown=1000 --from=busybox:1.36 /bin/busybox /bin/',
        'copy --link --from=ghcr.io/tools/jq:1 /jq /usr/bin/jq',
        'COPY --from=BUILD /x /y',
      ),
      references: ['docker.io/library/golang:1.22', 'docker.io/library/alpine:3', 'docker.io/library/busybox:1.36', 'ghcr.io/tools/jq:1'],
    },
    {
      name: 'COPY --from a stage defined later is still a stage',
      dockerfile: lines('FROM alpine:3 AS a', 'COPY --from=later /x /x', 'FROM node:20 AS later'),
      references: ['docker.io/library/alpine:3', 'docker.io/library/node:20'],
    },
    {
      name: 'COPY --from with stage ARGs inheriting global defaults',
      dockerfile: lines('ARG TOOLS=ghcr.io/t/tools:2', 'FROM alpine:3', 'ARG TOOLS', 'ARG OTHER=busybox', 'COPY --from=${TOOLS} /a /a', 'COPY --from=$OTHER /b /b'),
      references: ['docker.io/library/alpine:3', 'ghcr.io/t/tools:2', 'docker.io/library/busybox:latest'],
    },
    {
      name: 'COPY --from a global ARG not redeclared in the stage: unset there, so the fallback',
      dockerfile: lines('ARG TOOLS=ghcr.io/t/tools:2', 'FROM alpine:3', 'COPY --from=${TOOLS:-busybox} /a /a'),
      references: ['docker.io/library/alpine:3', 'docker.io/library/busybox:latest'],
    },
    {
      name: 'a --from after the sources is not a flag',
      dockerfile: lines('FROM alpine:3', 'COPY a --from=busybox /b'),
      references: ['docker.io/library/alpine:3'],
    },
    {
      name: 'RUN --mount from an image or a stage',
      dockerfile: lines(
        'FROM golang:1.22 AS build',
        'FROM alpine:3',
        'RUN --mount=type=bind,from=golang:1.23,source=/usr/local/go,target=/go --mount=type=cache,target=/root/.cache go version',
        'RUN --mount=from=build,target=/src ls',
        'RUN --network=none --mount=type=cache,from="ghcr.io/x/cache:1",target=/c true',
      ),
      references: ['docker.io/library/golang:1.22', 'docker.io/library/alpine:3', 'docker.io/library/golang:1.23', 'ghcr.io/x/cache:1'],
    },
    {
      name: 'line continuations, comments and blank lines',
      dockerfile: lines(
        '# syntax=docker/dockerfile:1',
        '',
        '  # an indented comment',
        'FROM \\',
        '  --platform=linux/amd64 \\',
        '# a comment inside the continuation',
        '',
        '  node:20 \\  ',
        '  AS build',
        'RUN echo a \\',
        '    FROM nope',
        'FROM nginx:1.27',
      ),
      references: ['docker.io/library/node:20', 'docker.io/library/nginx:1.27'],
    },
    {
      // The builder trims leading whitespace before it looks for `#`, inside a continuation too
      // (dockerfile-ast 0.7.1 keeps such a line as arguments: "AS" would no longer be the stage name).
      name: 'an indented comment inside a continuation is a comment too',
      dockerfile: lines('ARG V=3 \\', '  # the minor version', '  W=.20', 'FROM alpine:$V$W \\', '  # the build stage', '  AS build', 'COPY --from=build /a /b'),
      references: ['docker.io/library/alpine:3.20'],
    },
    {
      name: 'a continuation joins without a space, as the builder does',
      dockerfile: lines('FROM node\\', ':20'),
      references: ['docker.io/library/node:20'],
    },
    {
      name: '# escape=` directive (Windows)',
      dockerfile: lines('# escape=`', 'FROM mcr.microsoft.com/windows/servercore:ltsc2022 `', '  AS base', 'RUN dir C:\\', 'FROM mcr.microsoft.com/powershell:lts'),
      references: ['mcr.microsoft.com/windows/servercore:ltsc2022', 'mcr.microsoft.com/powershell:lts'],
    },
    {
      name: 'an escape directive after an instruction is just a comment',
      dockerfile: lines('FROM alpine:3 \\', '  AS a', '# escape=`', 'FROM busybox `', 'FROM node:20'),
      // Were ` the escape, the last two lines would be one FROM.
      references: ['docker.io/library/alpine:3', 'docker.io/library/busybox:latest', 'docker.io/library/node:20'],
    },
    {
      name: 'heredoc bodies are not instructions',
      dockerfile: lines('FROM alpine:3', 'RUN <<EOF', 'FROM evil:1', 'EOF', 'COPY <<-"END" /etc/x', '\tFROM evil:2', '\tEND', 'FROM node:20'),
      references: ['docker.io/library/alpine:3', 'docker.io/library/node:20'],
    },
    { name: 'CRLF line endings and a BOM', dockerfile: '\uFEFFFROM node:20 \\\r\n  AS a\r\nFROM alpine:3\r\n', references: ['docker.io/library/node:20', 'docker.io/library/alpine:3'] },
    { name: 'ONBUILD is not this build', dockerfile: lines('FROM alpine:3', 'ONBUILD COPY --from=busybox /a /a'), references: ['docker.io/library/alpine:3'] },
    { name: 'an empty file', dockerfile: '', references: [] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const result = parseDockerfile(c.dockerfile);
      assert.deepEqual(result.references, c.references);
      const expected = c.warnings ?? [];
      assert.equal(result.warnings.length, expected.length, `warnings: ${JSON.stringify(result.warnings)}`);
      expected.forEach((pattern, i) => assert.match(result.warnings[i]!, pattern));
    });
  }
});
