package dev.cqrs.todo.service;

import dev.cqrs.outbox.Relay;
import dev.cqrs.outbox.RelayStatus;
import dev.cqrs.projector.Projector;
import io.javalin.http.Context;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's metrics, scraped by Prometheus at {@code /metrics}: JVM basics, HTTP requests,
 * commands (by {@code TodoCommands}), relay lag when the relay runs in this process, projection lag
 * when the projector does.
 *
 * <p>An API-only process reports no relay lag: the relay's checkpoint lives in Kafka, in a format that
 * only the relay reads; the relay's own process reports it.
 */
final class ServiceMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServiceMetrics.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    ServiceMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    MeterRegistry registry() {
        return registry;
    }

    /** The relay's lag (events committed, not yet published: a count query), role and throughput. */
    void bindRelay(Relay relay) {
        Gauge.builder("cqrs.relay.lag.events", relay, safely("relay lag", Relay::lagEvents))
                .description("Events committed to the store and not yet published to Kafka by this relay").register(registry);
        Gauge.builder("cqrs.relay.leader", relay, r -> r.status().role() == RelayStatus.Role.LEADER ? 1 : 0)
                .description("1 when this process's relay is the leader").register(registry);
        FunctionCounter.builder("cqrs.relay.events.published", relay, r -> r.status().eventsPublished())
                .description("Events this relay published").register(registry);
        FunctionCounter.builder("cqrs.relay.errors", relay, r -> r.status().errors())
                .description("Failures the relay recovered from").register(registry);
        Gauge.builder("cqrs.relay.refused", relay, r -> r.status().role() == RelayStatus.Role.REFUSED ? 1 : 0)
                .description("1 while this process's relay refuses to publish (its log line and /health/ready say why)")
                .register(registry);
        Gauge.builder("cqrs.relay.log.held.back.seconds", relay,
                        r -> r.status().logHeldBackBy().map(h -> h.age().toMillis() / 1000.0).orElse(0.0))
                .description("How long a running append has held the global log back, once past relay.holdup.warn.ms (0: not)")
                .register(registry);
    }

    /** Each projection's lag in Kafka records, and what it processed. */
    void bindProjector(Projector projector) {
        for (String name : projector.names()) {
            Gauge.builder("cqrs.projection.lag.records", projector, safely("projection lag of " + name, p -> p.status(name).lagRecords()))
                    .tag("projection", name).description("Records of the projection's topics not yet consumed and committed")
                    .register(registry);
            FunctionCounter.builder("cqrs.projection.processed", projector, safely("projection " + name, p -> p.status(name).processed()))
                    .tag("projection", name).description("Events the projection processed in this process").register(registry);
            FunctionCounter.builder("cqrs.projection.skipped", projector, safely("projection " + name, p -> p.status(name).skipped()))
                    .tag("projection", name).description("Records found already applied when written, and left alone"
                            + " (redeliveries after a crash or rebalance, a paused process's late flush)").register(registry);
            FunctionCounter.builder("cqrs.projection.dead.lettered", projector,
                            safely("projection " + name, p -> p.status(name).deadLettered()))
                    .tag("projection", name).description("Events sent to the projection's dead-letter topic").register(registry);
        }
    }

    /** Records a served HTTP request, by route (never by raw path: ids would explode the series). */
    void httpRequest(Context ctx, Float millis) {
        String route;
        try {
            route = ctx.endpoint().path;
        } catch (RuntimeException e) {
            route = "unmatched";
        }
        Timer.builder("http.server.requests").description("HTTP requests served")
                .tag("method", ctx.method().name()).tag("route", route).tag("status", Integer.toString(ctx.statusCode()))
                .register(registry).record(Duration.ofNanos((long) (millis * 1_000_000)));
    }

    /** The Prometheus text exposition. */
    String scrape() {
        return registry.scrape();
    }

    private static <T> ToDoubleFunction<T> safely(String what, ToDoubleFunction<T> value) {
        return target -> {
            try {
                return value.applyAsDouble(target);
            } catch (RuntimeException e) {
                log.debug("Cannot read {} for the metrics: {}", what, e.toString());
                return Double.NaN;
            }
        };
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
