# The cairn container image, for CI systems other than GitHub Actions and
# for `docker run`: the release binary alone on distroless (glibc, CA
# certificates, no shell, no package manager), run as the non-root user,
# with `cairn` as the entrypoint. 65532 is distroless's `nonroot` user.
#
#   docker build -t cairn .                        the image
#   docker build --target shell -t cairn:shell .   the same with busybox's sh,
#                                                  for CI that runs scripts in
#                                                  the image (GitLab CI)
#
# The build stage is scripts/release.sh, so the image holds the binary of
# the release archive, built the same way (tests/it/release.rs runs this
# stage's command and lints this file with hadolint).

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The archive's binary, and a system git config that lets libgit2 read a
# checkout owned by another user (a CI runner's clone, a mounted directory):
# cairn only reads the repository, it never runs its hooks or filters.
RUN scripts/release.sh "$(uname -m)-unknown-linux-gnu" \
    && mkdir -p target/image \
    && tar -xzf "target/release-assets/cairn-$(uname -m)-unknown-linux-gnu.tar.gz" -C target/image cairn \
    && printf '[safe]\n\tdirectory = *\n' >target/image/gitconfig

FROM gcr.io/distroless/cc-debian12:debug-nonroot AS shell
COPY --from=build /src/target/image/gitconfig /etc/gitconfig
COPY --from=build /src/target/image/cairn /usr/local/bin/cairn
USER 65532:65532
WORKDIR /catalog
ENTRYPOINT ["cairn"]

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/image/gitconfig /etc/gitconfig
COPY --from=build /src/target/image/cairn /usr/local/bin/cairn
USER 65532:65532
WORKDIR /catalog
ENTRYPOINT ["cairn"]
