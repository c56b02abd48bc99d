# The cleaner's own image: the bundled CLI on a Node base, nothing else.
#
#   node deploy/build-cli.mjs                       # writes build/cli.cjs
#   docker build -t docker-image-cleanup .
#   docker run -d --name image-cleanup --restart unless-stopped \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     docker-image-cleanup watch --interval 1h --keep 2 --protect 'node:*'
#
# It runs as an unprivileged user (uid 1000); the Docker socket is usually
# root:docker 0660, so add the socket's group (--group-add, Kubernetes
# securityContext.supplementalGroups) or, where the socket is root:root 0600,
# run with --user 0. BASE may be any image with `node` (>= 20) on its PATH.
# VERSION and REVISION label the image (the release workflow passes the tag and commit).
ARG BASE=node:24-alpine
FROM ${BASE}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="docker-image-cleanup" \
      org.opencontainers.image.description="Keeps CI agents' Docker disks clean without throwing away the build cache" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/docker-image-cleanup/docker-image-cleanup" \
      org.opencontainers.image.url="https://github.com/docker-image-cleanup/docker-image-cleanup#fleet-mode-a-long-running-cleaner" \
      org.opencontainers.image.documentation="https://github.com/docker-image-cleanup/docker-image-cleanup#the-cleaners-image" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production HOME=/tmp
COPY build/cli.cjs /opt/docker-image-cleanup/cli.cjs
USER 1000:1000
ENTRYPOINT ["node", "/opt/docker-image-cleanup/cli.cjs"]
CMD ["watch", "--interval", "1h"]
