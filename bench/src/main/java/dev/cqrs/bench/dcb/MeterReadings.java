package dev.cqrs.bench.dcb;

import dev.cqrs.bench.dcb.TaggedMeterEvent.ReadingTaken;
import dev.cqrs.core.Decision;
import dev.cqrs.core.Tag;
import dev.cqrs.core.dcb.Decider;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;

/**
 * The bench's DCB decision, the counterpart of the Meter aggregate's one-event command: it reads the
 * meter's readings (by tag), refuses a negative reading or one past {@value #LIMIT} readings, and
 * appends one event to the meter's stream on condition that no reading of the meter arrived since.
 */
final class MeterReadings implements Decider<Long, MeterReadings.Take, TaggedMeterEvent> {

    static final int LIMIT = 1_000_000;

    record Take(ReadingTaken reading) {
    }

    static Tag meter(String id) {
        return Tag.of("meter", id);
    }

    @Override
    public Query query(Take take) {
        return Query.of(QueryItem.ofTypes(ReadingTaken.class).withTags(meter(take.reading().meter())));
    }

    @Override
    public String streamOf(Take take) {
        return take.reading().meter();
    }

    @Override
    public Long initialState(Take take) {
        return 0L;
    }

    @Override
    public Long evolve(Long readings, TaggedMeterEvent event) {
        return readings + 1;
    }

    @Override
    public Decision<TaggedMeterEvent> decide(Long readings, Take take) {
        if (take.reading().amount() < 0) {
            return Decision.reject("NEGATIVE_READING", "a reading must not be negative: " + take.reading().amount());
        }
        if (readings >= LIMIT) {
            return Decision.reject("TOO_MANY_READINGS", "meter " + take.reading().meter() + " has " + LIMIT + " readings");
        }
        return Decision.accept(take.reading());
    }
}
