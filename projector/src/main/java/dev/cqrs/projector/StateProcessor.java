package dev.cqrs.projector;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Folds each aggregate's events into its value in a changelogged key-value store. */
final class StateProcessor<S, E> implements Processor<String, byte[], String, byte[]> {

    private static final Logger log = LoggerFactory.getLogger(StateProcessor.class);

    private final StateProjection<S, E> projection;
    private final ProjectionMetrics metrics;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> store;

    StateProcessor(StateProjection<S, E> projection, ProjectionMetrics metrics) {
        this.projection = projection;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(projection.name());
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Delivery delivery = Delivery.of(context, record);
        Delivery.Decoded<E> decoded = delivery.decode(projection.codec());
        if (decoded.event().isEmpty()) {
            log.warn("State projection {}: {} cannot be decoded; it goes to the dead-letter topic", projection.name(), delivery.where());
            delivery.deadLetter(context, projection.name(), Delivery.Stage.DECODE, decoded.failure().orElseThrow());
            metrics.deadLettered();
            return;
        }
        var event = decoded.event().get();
        try {
            byte[] stored = store.get(event.aggregateId());
            S value = stored == null ? projection.initial() : projection.valueCodec().decode(stored);
            store.put(event.aggregateId(), projection.valueCodec().encode(projection.apply(value, event)));
            metrics.processed(event.globalPosition());
        } catch (RuntimeException e) {
            log.warn("State projection {}: folding {} failed; it goes to the dead-letter topic", projection.name(), delivery.where(), e);
            delivery.deadLetter(context, projection.name(), Delivery.Stage.HANDLER, e);
            metrics.deadLettered();
        }
    }
}
