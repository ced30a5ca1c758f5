# The to-do service's container image (docker-compose.yml runs it as api, relay and projector).
# Stage 1 builds the service and the modules it needs with Maven on a JDK 21; stage 2 runs it on a JRE 21.

FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY . .
# Tests run in CI (./mvnw -B verify), not in the image build. Dev mode's PostgreSQL binaries (io.zonky.test.postgres)
# stay out of the image: a container gets its servers from the environment.
RUN mvn -B -q -pl todo-service -am install -DskipTests \
 && mvn -B -q -pl todo-service dependency:copy-dependencies -DincludeScope=runtime \
        -DexcludeGroupIds=io.zonky.test.postgres -DoutputDirectory=/app/lib \
 && cp todo-service/target/cqrs-todo-service-*.jar /app/lib/

FROM eclipse-temurin:21-jre
RUN useradd --system --uid 10001 --home-dir /app cqrs && mkdir -p /app /var/lib/cqrs && chown cqrs /var/lib/cqrs
WORKDIR /app
COPY --from=build /app/lib /app/lib
USER cqrs
ENV CQRS_HTTP_PORT=8080 \
    CQRS_PROJECTOR_STATE_DIR=/var/lib/cqrs/streams
EXPOSE 8080
# SIGTERM stops it in order: HTTP, then the projector and relay (each finishing its transaction), then connections.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-cp", "/app/lib/*", "dev.cqrs.todo.service.TodoServiceMain", "serve"]
