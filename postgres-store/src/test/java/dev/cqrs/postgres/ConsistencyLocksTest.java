package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cqrs.core.Tag;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.dcb.Query;
import dev.cqrs.core.dcb.QueryItem;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The property the locks rest on, over many random events and items: a match always shares a key. */
class ConsistencyLocksTest {

    private static final List<String> TYPES = List.of("A", "B", "C");
    private static final List<Tag> TAGS = List.of(Tag.of("x:1"), Tag.of("x:2"), Tag.of("y:1"), Tag.of("z"));

    private final ConsistencyLocks locks = new ConsistencyLocks("cqrs");
    private final Random random = new Random(17);

    @Test
    void anEventThatMatchesAQueryTakesALockThatTheConditionTakesExclusively() {
        int matches = 0;
        for (int i = 0; i < 20_000; i++) {
            EncodedEvent event = new EncodedEvent(pick(TYPES), "text/plain", new byte[0], someOf(TAGS, 0));
            Query query = randomQuery();
            ConsistencyLocks.Needed writer = new ConsistencyLocks.Needed();
            locks.addWriterLocks(writer, "course", List.of(event));
            ConsistencyLocks.Needed condition = new ConsistencyLocks.Needed();
            locks.addConditionLocks(condition, "course", query);
            ConsistencyLocks.Needed read = new ConsistencyLocks.Needed();
            locks.addReadLocks(read, "course", query);

            if (query.matches(event.eventType(), event.tags())) {
                matches++;
                for (ConsistencyLocks.Needed checker : List.of(condition, read)) {
                    boolean shareAKey = writer.keys.keySet().stream()
                            .anyMatch(k -> Boolean.TRUE.equals(checker.keys.get(k)));
                    assertThat(shareAKey || checker.table != ConsistencyLocks.TableLock.NONE)
                            .as(event + " matches " + query).isTrue();
                }
            }
            assertThat(writer.keys.values()).as("writers only share").doesNotContain(true);
        }
        assertThat(matches).as("the random cases include matches").isGreaterThan(1_000);
    }

    @Test
    void untaggedEventsTakeNoLockAndOnlyTypesOnlyQueriesTakeTheTable() {
        ConsistencyLocks.Needed writer = new ConsistencyLocks.Needed();
        locks.addWriterLocks(writer, "course", List.of(new EncodedEvent("A", "text/plain", new byte[0])));
        assertThat(writer.isEmpty()).isTrue();

        ConsistencyLocks.Needed byTag = new ConsistencyLocks.Needed();
        locks.addConditionLocks(byTag, "course", Query.of(QueryItem.ofTypeNames("A", "B").withTags(Tag.of("x:1"))));
        assertThat(byTag.table).isEqualTo(ConsistencyLocks.TableLock.NONE);
        assertThat(byTag.keys).hasSize(2);
        ConsistencyLocks.Needed byType = new ConsistencyLocks.Needed();
        locks.addConditionLocks(byType, "course", Query.of(QueryItem.ofTypeNames("A")));
        assertThat(byType.table).isEqualTo(ConsistencyLocks.TableLock.FOR_CONDITION);
        ConsistencyLocks.Needed readByType = new ConsistencyLocks.Needed();
        locks.addReadLocks(readByType, "course", Query.of(QueryItem.ofTypeNames("A")));
        assertThat(readByType.table).isEqualTo(ConsistencyLocks.TableLock.FOR_READ);
        ConsistencyLocks.Needed all = new ConsistencyLocks.Needed();
        locks.addConditionLocks(all, "course", Query.all());
        assertThat(all.table).isEqualTo(ConsistencyLocks.TableLock.FOR_CONDITION);
    }

    @Test
    void keysDependOnTheAggregateTypeAndTheSchemaButAreStable() {
        Tag tag = Tag.of("course:c1");
        assertThat(ConsistencyLocks.key("course", "A", tag)).isEqualTo(ConsistencyLocks.key("course", "A", tag))
                .isNotEqualTo(ConsistencyLocks.key("student", "A", tag))
                .isNotEqualTo(ConsistencyLocks.key("course", null, tag));
        // FNV-1a is part of the stored format: a change would let old and new processes miss each other.
        assertThat(ConsistencyLocks.hash("cqrs-dcb-locks:cqrs")).isEqualTo(ConsistencyLocks.hash("cqrs-dcb-locks:cqrs"));
        assertThat(ConsistencyLocks.hash("")).isEqualTo((int) (0xcbf29ce484222325L ^ (0xcbf29ce484222325L >>> 32)));
    }

    private Query randomQuery() {
        if (random.nextInt(20) == 0) {
            return Query.all();
        }
        List<QueryItem> items = new ArrayList<>();
        int n = 1 + random.nextInt(3);
        while (items.size() < n) {
            Set<String> types = someOf(TYPES, 0);
            Set<Tag> tags = someOf(TAGS, 0);
            if (!types.isEmpty() || !tags.isEmpty()) {
                items.add(new QueryItem(types, tags));
            }
        }
        return Query.of(items);
    }

    private <T> Set<T> someOf(List<T> all, int atLeast) {
        Set<T> chosen = new HashSet<>();
        for (T t : all) {
            if (random.nextInt(3) == 0) {
                chosen.add(t);
            }
        }
        while (chosen.size() < atLeast) {
            chosen.add(pick(all));
        }
        return chosen;
    }

    private <T> T pick(List<T> all) {
        return all.get(random.nextInt(all.size()));
    }
}
