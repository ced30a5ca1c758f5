package dev.cqrs.embedded.kafka;

import java.util.List;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * An in-process broker logs through the application's own SLF4J binding, so a project that has no
 * logging configuration of its own for Kafka gets the broker's INFO flood ({@code state.change.logger}
 * alone writes a line per partition and state change) in its test output. When the binding is Logback,
 * the broker's loggers that nobody configured are set to WARN; a level the project set stays. Other
 * bindings are left alone.
 */
final class BrokerLogLevels {

    /** The broker's side of Kafka; the client packages ({@code org.apache.kafka.clients}, {@code .streams}) stay as configured. */
    static final List<String> BROKER_LOGGERS = List.of("kafka", "state.change.logger", "org.apache.kafka.controller",
            "org.apache.kafka.raft", "org.apache.kafka.metadata", "org.apache.kafka.image", "org.apache.kafka.server",
            "org.apache.kafka.storage", "org.apache.kafka.coordinator", "org.apache.kafka.queue",
            "org.apache.kafka.snapshot", "org.apache.kafka.security");

    private BrokerLogLevels() {
    }

    static void quietenUnconfigured() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory.getClass().getName().equals("ch.qos.logback.classic.LoggerContext")) {
            Logback.quieten(factory);
        }
    }

    /** Loaded only when Logback is the binding. */
    private static final class Logback {

        static void quieten(ILoggerFactory factory) {
            ch.qos.logback.classic.LoggerContext context = (ch.qos.logback.classic.LoggerContext) factory;
            for (String name : BROKER_LOGGERS) {
                ch.qos.logback.classic.Logger logger = context.getLogger(name);
                if (logger.getLevel() == null) {
                    logger.setLevel(ch.qos.logback.classic.Level.WARN);
                }
            }
        }
    }
}
