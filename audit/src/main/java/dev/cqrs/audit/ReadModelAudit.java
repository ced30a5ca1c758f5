package dev.cqrs.audit;

import dev.cqrs.core.RawEvent;
import java.util.Map;

/**
 * How the auditor checks one read model: it takes a {@link #read() snapshot} of the read model first, then
 * hands {@link #accept} every event of the store the snapshot reflects, in log order; then compares
 * {@link #expectedRows()} (the fold) with the snapshot's rows. Rows are keyed (e.g. by aggregate id) and
 * rendered as canonical text, so any difference in any column shows.
 */
public interface ReadModelAudit {

    /** The read model's name, for the report. */
    String name();

    /** Folds one event; called for every event the snapshot reflects, in log order. */
    void accept(RawEvent event);

    /** The rows the read model must hold, by key. */
    Map<String, String> expectedRows();

    /**
     * The rows the read model holds, with the positions they reflect where the read model records them, read in
     * one transaction (see {@link ReadModelSnapshot}).
     */
    ReadModelSnapshot read();
}
