package dev.cqrs.audit;

import java.util.List;

/**
 * What an audit found. Every list holds at most {@link Auditor#SAMPLES} examples; the counts are exact.
 *
 * @param storeEvents      events in the store
 * @param topicRecords     records read from the topics
 * @param missing          events in the store that no topic holds
 * @param duplicated       events a topic holds more than once (extra copies)
 * @param unknown          records whose position the store does not hold
 * @param corrupted        records whose payload, type, key or sequence differ from the store's event
 * @param outOfOrder       records that came after a later event of the same aggregate in their partition
 * @param readModels       per read model: rows missing, unexpected and different
 */
public record AuditReport(long storeEvents, long topicRecords, Finding missing, Finding duplicated, Finding unknown,
                          Finding corrupted, Finding outOfOrder, List<ReadModelFinding> readModels) {

    /** A kind of difference: how many, and some examples. */
    public record Finding(long count, List<String> examples) {
        public Finding {
            examples = List.copyOf(examples);
        }
    }

    /** The differences of one read model. */
    public record ReadModelFinding(String name, long expectedRows, long actualRows, Finding missing, Finding unexpected,
                                   Finding different) {
        public long differences() {
            return missing.count() + unexpected.count() + different.count();
        }
    }

    public AuditReport {
        readModels = List.copyOf(readModels);
    }

    /** All differences found, of every kind. */
    public long differences() {
        return missing.count() + duplicated.count() + unknown.count() + corrupted.count() + outOfOrder.count()
                + readModels.stream().mapToLong(ReadModelFinding::differences).sum();
    }

    public boolean isClean() {
        return differences() == 0;
    }

    /** The report as a table for people. */
    public String table() {
        StringBuilder text = new StringBuilder();
        text.append(String.format("%-44s %12s%n", "check", "count"));
        text.append(String.format("%-44s %,12d%n", "events in the store", storeEvents));
        text.append(String.format("%-44s %,12d%n", "records in the topics", topicRecords));
        row(text, "events missing from the topics", missing);
        row(text, "events duplicated in the topics", duplicated);
        row(text, "records the store does not hold", unknown);
        row(text, "records that differ from the store", corrupted);
        row(text, "records out of order for their aggregate", outOfOrder);
        for (ReadModelFinding model : readModels) {
            text.append(String.format("%-44s %,12d%n", "read model " + model.name() + ": rows", model.actualRows()));
            row(text, "read model " + model.name() + ": rows missing", model.missing());
            row(text, "read model " + model.name() + ": rows unexpected", model.unexpected());
            row(text, "read model " + model.name() + ": rows different", model.different());
        }
        text.append(String.format("%-44s %,12d%n", "differences", differences()));
        return text.toString();
    }

    private static void row(StringBuilder text, String label, Finding finding) {
        text.append(String.format("%-44s %,12d%n", label, finding.count()));
        for (String example : finding.examples()) {
            text.append("    e.g. ").append(example).append(System.lineSeparator());
        }
    }
}
