package dev.cqrs.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The parsing of named parameters; binding them is exercised by every append of the store's tests. */
class NamedSqlTest {

    @Test
    void namesBecomePlaceholdersAndCastsStay() {
        NamedSql sql = NamedSql.parse("SELECT pg_current_xact_id()::text::bigint << 16, :payload::bytea, :tags::text[]"
                + " FROM t WHERE a = :aggregate_type AND b = :aggregate_type");
        assertThat(sql.sql()).isEqualTo("SELECT pg_current_xact_id()::text::bigint << 16, ?::bytea, ?::text[]"
                + " FROM t WHERE a = ? AND b = ?");
        assertThat(sql.has("aggregate_type")).isTrue();
        assertThat(sql.has("text")).as("a cast is not a parameter").isFalse();
        assertThat(sql.has("bigint")).isFalse();
    }

    @Test
    void aValueForANameTheStatementLacksIsRefused() {
        NamedSql sql = NamedSql.parse("SELECT :a::text");
        assertThatThrownBy(() -> sql.values().set("b", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the statement has no parameter :b");
    }
}
