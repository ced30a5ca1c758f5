package dev.cqrs.projector;

import dev.cqrs.core.RecordedEvent;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a reactor: decodes each event its reaction wants and reacts, retrying, then dead-lettering. */
final class ReactorProcessor<E> implements Processor<String, byte[], String, byte[]> {

    /** The name of the output sink of a {@code toTopic} reactor. */
    static final String OUTPUT_SINK = "output";

    private static final Logger log = LoggerFactory.getLogger(ReactorProcessor.class);

    private final Reactor<E> reactor;
    private final int attempts;
    private final ProjectionMetrics metrics;
    private ProcessorContext<String, byte[]> context;

    ReactorProcessor(Reactor<E> reactor, int attempts, ProjectionMetrics metrics) {
        this.reactor = reactor;
        this.attempts = attempts;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Delivery delivery = Delivery.of(context, record);
        if (reactor.reaction().isPresent()) {
            try {
                var raw = delivery.raw();
                if (!reactor.reaction().get().predicate().test(raw.stream().aggregateType(), raw.eventType())) {
                    return;
                }
            } catch (RuntimeException e) {
                deadLetter(delivery, Delivery.Stage.DECODE, e);
                return;
            }
        }
        Delivery.Decoded<E> decoded = delivery.decode(reactor.codec());
        if (decoded.event().isEmpty()) {
            deadLetter(delivery, Delivery.Stage.DECODE, decoded.failure().orElseThrow());
            return;
        }
        RecordedEvent<E> event = decoded.event().get();
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                switch (reactor) {
                    case Reactor.Commands<E> commands -> commands.reaction().orElseThrow().react(event);
                    case Reactor.ToTopic<E> toTopic -> {
                        for (Reactor.Output output : toTopic.emitter().react(event)) {
                            context.forward(new Record<>(output.key(), output.value(), record.timestamp()), OUTPUT_SINK);
                        }
                    }
                }
                metrics.processed(event.globalPosition());
                return;
            } catch (Exception e) {
                if (attempt == attempts) {
                    deadLetter(delivery, Delivery.Stage.REACTION, e);
                    return;
                }
                log.debug("Reactor {}: attempt {} of {} on {} failed", reactor.name(), attempt, attempts, delivery.where(), e);
            }
        }
    }

    private void deadLetter(Delivery delivery, Delivery.Stage stage, Throwable error) {
        log.warn("Reactor {}: {} goes to the dead-letter topic ({} failed: {})", reactor.name(), delivery.where(), stage, error.toString());
        delivery.deadLetter(context, reactor.name(), stage, error);
        metrics.deadLettered();
    }
}
