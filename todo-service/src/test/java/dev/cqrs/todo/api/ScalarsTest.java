package dev.cqrs.todo.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The seed's DateTimeUtc: written as chrono's to_rfc3339 writes a DateTime<Utc>. */
class ScalarsTest {

    @Test
    void anInstantIsWrittenInUtcWithPlusZeroAndAFractionOfThreeSixOrNineDigitsOnlyWhenThereIsOne() {
        assertThat(Scalars.rfc3339(Instant.parse("2030-01-31T09:00:00Z"))).isEqualTo("2030-01-31T09:00:00+00:00");
        assertThat(Scalars.rfc3339(Instant.parse("2030-01-31T09:00:00.250Z"))).isEqualTo("2030-01-31T09:00:00.250+00:00");
        assertThat(Scalars.rfc3339(Instant.parse("2030-01-31T09:00:00.000250Z"))).isEqualTo("2030-01-31T09:00:00.000250+00:00");
        assertThat(Scalars.rfc3339(Instant.parse("2030-01-31T09:00:00.000000250Z"))).isEqualTo("2030-01-31T09:00:00.000000250+00:00");
        assertThat(Scalars.rfc3339(Instant.parse("1970-01-01T00:00:00Z"))).isEqualTo("1970-01-01T00:00:00+00:00");
    }
}
