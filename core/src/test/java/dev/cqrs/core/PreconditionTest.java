package dev.cqrs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every cell of the precondition table on {@link Precondition#verify}. */
class PreconditionTest {

    private static final Optional<Version> ABSENT = Optional.empty();
    private static final Optional<Version> AT_INITIAL = Optional.of(Version.INITIAL);
    private static final Optional<Version> AT_3 = Optional.of(Version.of(3));
    private static final StreamId STREAM = StreamId.of("todo", "t-1");

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of(Precondition.isNew(), ABSENT, true),
                Arguments.of(Precondition.isNew(), AT_INITIAL, false),
                Arguments.of(Precondition.isNew(), AT_3, false),
                Arguments.of(Precondition.exists(), ABSENT, false),
                Arguments.of(Precondition.exists(), AT_INITIAL, true),
                Arguments.of(Precondition.exists(), AT_3, true),
                Arguments.of(Precondition.expectedVersion(Version.INITIAL), ABSENT, true),
                Arguments.of(Precondition.expectedVersion(Version.INITIAL), AT_INITIAL, true),
                Arguments.of(Precondition.expectedVersion(Version.INITIAL), AT_3, false),
                Arguments.of(Precondition.expectedVersion(3), ABSENT, false),
                Arguments.of(Precondition.expectedVersion(3), AT_INITIAL, false),
                Arguments.of(Precondition.expectedVersion(3), AT_3, true),
                Arguments.of(Precondition.expectedVersion(2), AT_3, false),
                Arguments.of(Precondition.expectedVersion(4), AT_3, false));
    }

    @ParameterizedTest(name = "{0} on {1}: passes = {2}")
    @MethodSource("table")
    void verifyFollowsThePreconditionTable(Precondition precondition, Optional<Version> current, boolean passes) {
        assertThat(precondition.isSatisfiedBy(current)).isEqualTo(passes);
        if (passes) {
            precondition.verify(STREAM, current);
        } else {
            assertThatThrownBy(() -> precondition.verify(STREAM, current))
                    .isInstanceOfSatisfying(PreconditionFailedException.class, e -> {
                        assertThat(e.failure()).isEqualTo(new PreconditionFailed(STREAM, precondition, current));
                        assertThat(e.getMessage()).contains("todo/t-1").contains(precondition.toString());
                    });
        }
    }

    @org.junit.jupiter.api.Test
    void expectedVersionComparesTheCurrentVersionNotTheNextOne() {
        // The seed's memory store compared with the next sequence: at version 3 it accepted ExpectedVersion(4).
        assertThat(Precondition.expectedVersion(4).isSatisfiedBy(AT_3)).isFalse();
        assertThat(Precondition.expectedVersion(3).isSatisfiedBy(AT_3)).isTrue();
    }
}
