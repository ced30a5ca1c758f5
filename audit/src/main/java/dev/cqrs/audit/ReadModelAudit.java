package dev.cqrs.audit;

import dev.cqrs.core.RawEvent;
import java.util.Map;

/**
 * How the auditor checks one read model: it hands every event of the store, in log order, to
 * {@link #accept}; then compares {@link #expectedRows()} (the fold) with {@link #actualRows()} (what the
 * read model holds). Rows are keyed (e.g. by aggregate id) and rendered as canonical text, so any
 * difference in any column shows.
 */
public interface ReadModelAudit {

    /** The read model's name, for the report. */
    String name();

    /** Folds one event; called for every event in the store, in log order. */
    void accept(RawEvent event);

    /** The rows the read model must hold, by key. */
    Map<String, String> expectedRows();

    /** The rows the read model holds, by key. */
    Map<String, String> actualRows();
}
