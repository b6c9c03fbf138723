# slm-serve container image: docs/container.md explains building, running and mounting models.
#
#   docker build -t slm-serve:cpu .                          # CPU libtorch from Maven Central
#   docker build -t slm-serve:gpu --build-arg FLAVOR=gpu .   # CUDA libtorch (cu128), needs the pom's gpu profile
#   docker run --rm -p 8080:8080 slm-serve:cpu
#   docker run --rm -p 8080:8080 --gpus all slm-serve:gpu
#
# Build arguments
#   FLAVOR         cpu (default) | gpu
#   MODELS         bake (default: models/ is copied into the image) | none (mount a folder at /app/models)
#   BUILD_IMAGE    a JDK 17 image  (default eclipse-temurin:17-jdk-jammy)
#   RUNTIME_IMAGE  a JRE 17 image  (default eclipse-temurin:17-jre-jammy); both need bash, useradd
#   CUDA_FLAVOR    DJL's CUDA build of libtorch 2.7.1 (default cu128, the only one DJL 0.36 publishes)
#   APP_UID        user id of the non-root user that runs the server (default 10001)
#
# Network at build time: Ubuntu's archive (g++), Maven Central (the wrapper, Maven 3.9.9, dependencies) and,
# for FLAVOR=gpu only, DJL's download site for the CUDA libtorch. Nothing is downloaded at run time (the
# server runs DJL offline).

ARG BUILD_IMAGE=eclipse-temurin:17-jdk-jammy
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre-jammy

# ---------------------------------------------------------------------------------------------------- build
FROM ${BUILD_IMAGE} AS build
ARG FLAVOR=cpu
ARG MODELS=bake
ARG CUDA_FLAVOR=cu128
WORKDIR /build

# Maven wrapper and POM first, so that the dependency layer is reused while only sources change.
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN case "${FLAVOR}" in cpu|gpu) ;; *) echo "FLAVOR must be cpu or gpu, was '${FLAVOR}'" >&2; exit 1 ;; esac; \
    case "${MODELS}" in bake|none) ;; *) echo "MODELS must be bake or none, was '${MODELS}'" >&2; exit 1 ;; esac; \
    chmod +x mvnw && \
    (./mvnw -B -ntp -q -Dslm.flavor="${FLAVOR}" dependency:go-offline \
       || echo "dependency:go-offline incomplete; the package step fetches the rest")

# g++ builds the fused decode kernels (src/main/native) into the jar during the package step.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++ && \
    rm -rf /var/lib/apt/lists/*

COPY src src
# maven.test.skip: the image needs no test classes (CI runs the tests), and compiling them opens many more jars.
# No AppCDS archive: it only serves the exact JDK build that wrote it, and the runtime image has another.
RUN ./mvnw -B -ntp -Dslm.flavor="${FLAVOR}" -Dmaven.test.skip=true -Dslm.appcds.skip=true \
      -Dquarkus.package.jar.appcds.enabled=false package && \
    if [ "${FLAVOR}" = gpu ] && ls target/quarkus-app/lib/main | grep -q pytorch-native-cpu; then \
      echo "error: FLAVOR=gpu but the build still holds pytorch-native-cpu: add the cpu/gpu profiles of" \
           "docs/container.md to pom.xml (DJL would otherwise load the CPU libtorch from the jar)" >&2; \
      exit 1; \
    fi

# Fill the DJL cache now, so the server starts offline: CPU extracts libtorch from the jar; GPU makes DJL
# download its CUDA libtorch (PYTORCH_FLAVOR) and adds a libcudart.so link for DJL's GPU count.
# (Before the models are copied, so that changing a model does not download libtorch again.)
ENV DJL_CACHE_DIR=/opt/djl-cache
COPY bench/gpu/PrefetchLibtorch.java prefetch/PrefetchLibtorch.java
RUN if [ "${FLAVOR}" = gpu ]; then export PYTORCH_FLAVOR="${CUDA_FLAVOR}"; fi; \
    java -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
         -cp 'target/quarkus-app/lib/boot/*:target/quarkus-app/lib/main/*' \
         prefetch/PrefetchLibtorch.java

COPY models models
RUN mkdir -p image-models && \
    if [ "${MODELS}" = bake ]; then cp -a models/. image-models/; fi && \
    find image-models -name .READY -delete

# ---------------------------------------------------------------------------------------------------- runtime
FROM ${RUNTIME_IMAGE}
ARG FLAVOR=cpu
ARG CUDA_FLAVOR=cu128
ARG APP_UID=10001

RUN groupadd --gid "${APP_UID}" slm && \
    useradd --no-log-init --uid "${APP_UID}" --gid slm --home-dir /app --no-create-home --shell /usr/sbin/nologin slm

WORKDIR /app
COPY --from=build /build/target/quarkus-app/ /app/
COPY --from=build /build/image-models/ /app/models/
# Writable by the server user: DJL may still extract small files there at first start.
COPY --from=build --chown=slm:slm /opt/djl-cache/ /opt/djl-cache/

# The flavour decides the defaults; every SLM_* / JAVA_OPTS value can be overridden with -e.
# Container-aware JVM: heap as a share of the container's memory limit, leaving room for libtorch's native
# memory (weights, activations, the KV cache live outside the heap); exit on OOM so the orchestrator restarts.
RUN { \
      echo '#!/bin/sh'; \
      echo 'set -e'; \
      echo "if [ \"${FLAVOR}\" = gpu ]; then"; \
      echo "  export PYTORCH_FLAVOR=\"\${PYTORCH_FLAVOR:-${CUDA_FLAVOR}}\""; \
      echo '  export LD_LIBRARY_PATH="${DJL_CACHE_DIR}/cudart${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"'; \
      echo '  export SLM_ENGINE_DEVICE="${SLM_ENGINE_DEVICE:-gpu}" SLM_ENGINE_DTYPE="${SLM_ENGINE_DTYPE:-bf16}"'; \
      echo '  export SLM_ENGINE_REQUIRE_GPU="${SLM_ENGINE_REQUIRE_GPU:-true}"'; \
      echo 'fi'; \
      echo 'exec java ${JAVA_OPTS} -jar /app/quarkus-run.jar "$@"'; \
    } > /app/entrypoint.sh && chmod 0755 /app/entrypoint.sh && \
    chown slm:slm /app

ENV SLM_FLAVOR=${FLAVOR} \
    DJL_CACHE_DIR=/opt/djl-cache \
    SLM_MODELS_DIR=/app/models \
    QUARKUS_HTTP_HOST=0.0.0.0 \
    QUARKUS_HTTP_PORT=8080 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    JAVA_OPTS="-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=5 -XX:+UseContainerSupport -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC -Djava.io.tmpdir=/tmp"

USER slm
EXPOSE 8080
# Models mounted instead of baked: docker run -v /srv/models:/app/models:ro ... (see docs/container.md).
# No VOLUME line: it would copy the baked models into a fresh anonymous volume for every container.

# Ready only once every configured model has loaded and run its warm-up forward pass. bash's /dev/tcp needs
# no curl in the image. (Docker-format images only: podman/buildah need --format docker to keep it.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /q/health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/app/entrypoint.sh"]
