package dev.cqrs.codec.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cqrs.core.codec.CodecException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JsonStateCodecTest {

    record Cart(UUID id, List<ShopEvent.Line> lines, Optional<Instant> checkedOutAt, long version) {
    }

    private final JsonStateCodec<Cart> codec = JsonStateCodec.of(Cart.class);

    @Test
    void aStateRoundTrips() {
        Cart cart = new Cart(UUID.randomUUID(), List.of(new ShopEvent.Line("tea", 3, 450)),
                Optional.of(Instant.parse("2026-01-02T03:04:05Z")), 17);

        byte[] bytes = codec.encode(cart);

        assertThat(codec.contentType()).isEqualTo("application/json");
        assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"checkedOutAt\":\"2026-01-02T03:04:05Z\"");
        assertThat(codec.decode(bytes)).isEqualTo(cart);
    }

    @Test
    void bytesThatAreNotAStateAreRefusedNamingTheState() {
        assertThatThrownBy(() -> codec.decode("[1,2".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("cannot decode state Cart from JSON: ");
        assertThatThrownBy(() -> codec.decode("{\"version\": \"seventeen\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("Cart")
                .hasMessageContaining("seventeen");
    }
}
