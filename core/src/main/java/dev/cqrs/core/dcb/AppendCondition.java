package dev.cqrs.core.dcb;

import java.util.Objects;

/**
 * What must hold for a conditional append, as the DCB specification defines it: no event matching
 * {@link #failIfEventsMatch()} exists after position {@link #after()}. Checked atomically with the
 * append; when it does not hold, nothing is written and the append fails with
 * {@link AppendConditionFailedException}.
 *
 * <p>A decision reads a query ({@link DcbEventSource#read}) and appends with
 * {@link MatchingEvents#appendCondition()}: the same query, after the position the read reached. So the
 * append succeeds only if the decision is still made on every relevant fact. Without {@code after}
 * ({@link #failIfEventsMatch(Query)} alone), any matching event fails the append: a uniqueness guard
 * ("no {@code UsernameClaimed} tagged {@code username:alice} exists").
 *
 * @param failIfEventsMatch the query no new event may match
 * @param after             a global position: events at or before it are not considered. 0 (the default)
 *                          considers every event, since positions are positive
 */
public record AppendCondition(Query failIfEventsMatch, long after) {

    public AppendCondition {
        Objects.requireNonNull(failIfEventsMatch, "failIfEventsMatch");
        if (after < 0) {
            throw new IllegalArgumentException("the position after which events count must not be negative: " + after);
        }
    }

    /** Fails if any event at all matches {@code query}. */
    public static AppendCondition failIfEventsMatch(Query query) {
        return new AppendCondition(query, 0);
    }

    /** This condition, counting only events after {@code position}. */
    public AppendCondition after(long position) {
        return new AppendCondition(failIfEventsMatch, position);
    }

    @Override
    public String toString() {
        return "fail if events match " + failIfEventsMatch + (after == 0 ? "" : " after position " + after);
    }
}
