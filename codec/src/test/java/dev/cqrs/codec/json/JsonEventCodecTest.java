package dev.cqrs.codec.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cqrs.codec.json.ShopEvent.Archived;
import dev.cqrs.codec.json.ShopEvent.Channel;
import dev.cqrs.codec.json.ShopEvent.Line;
import dev.cqrs.codec.json.ShopEvent.OrderCancelled;
import dev.cqrs.codec.json.ShopEvent.OrderPlaced;
import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class JsonEventCodecTest {

    private static final UUID ORDER = UUID.fromString("0b6f3a5e-8a47-4a5c-9d3e-2f1f6f0a9c11");
    private static final Instant PLACED = Instant.parse("2026-03-01T10:15:30.123456789Z");

    private final JsonEventCodec<ShopEvent> codec = JsonEventCodec.of(ShopEvent.class);

    private static OrderPlaced placed(Optional<String> note) {
        return new OrderPlaced(ORDER, "Ada", PLACED, List.of(new Line("tea", 2, 450), new Line("cup", 1, 1200)), note,
                Channel.WEB, true, 0.25);
    }

    private static EncodedEvent json(String type, String text) {
        return new EncodedEvent(type, JsonEventCodec.CONTENT_TYPE, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyEventRoundTripsWithOptionalInstantUuidEnumAndNestedList() {
        List<ShopEvent> events = List.of(placed(Optional.of("ring twice")), placed(Optional.empty()),
                new OrderCancelled(ORDER, Optional.of(PLACED)), new OrderCancelled(ORDER, Optional.empty()), new Archived());

        for (ShopEvent event : events) {
            EncodedEvent encoded = codec.encode(event);

            assertThat(encoded.eventType()).isEqualTo(event.getClass().getSimpleName());
            assertThat(encoded.contentType()).isEqualTo("application/json");
            assertThat(codec.decode(encoded)).isEqualTo(event);
        }
    }

    @Test
    void payloadIsAPlainReadableObjectWithoutTheTypeInside() throws Exception {
        EncodedEvent encoded = codec.encode(placed(Optional.empty()));

        JsonNode json = new ObjectMapper().readTree(encoded.payload());
        assertThat(json.get("placedAt").asText()).isEqualTo("2026-03-01T10:15:30.123456789Z");
        assertThat(json.get("orderId").asText()).isEqualTo(ORDER.toString());
        assertThat(json.get("note").isNull()).isTrue();
        assertThat(json.get("channel").asText()).isEqualTo("WEB");
        assertThat(json.get("lines").get(1).get("priceCents").asLong()).isEqualTo(1200);
        assertThat(json.has("eventType")).isFalse();
        assertThat(codec.encode(new Archived()).payload()).asString(StandardCharsets.UTF_8).isEqualTo("{}");
    }

    @Test
    void aMissingOptionalIsEmptyAndUnknownPropertiesAreIgnored() {
        // Written by an older version (no refundBy) and by a newer one (an extra property).
        OrderCancelled older = (OrderCancelled) codec.decode(json("OrderCancelled", "{\"orderId\":\"" + ORDER + "\"}"));
        OrderCancelled newer = (OrderCancelled) codec.decode(json("OrderCancelled",
                "{\"orderId\":\"" + ORDER + "\",\"refundBy\":null,\"refundedBy\":\"bank\"}"));

        assertThat(older).isEqualTo(new OrderCancelled(ORDER, Optional.empty()));
        assertThat(newer).isEqualTo(new OrderCancelled(ORDER, Optional.empty()));
    }

    @Test
    void anUnknownEventTypeIsRefusedNamingTheType() {
        assertThatThrownBy(() -> codec.decode(json("OrderShipped", "{}")))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("'OrderShipped'")
                .hasMessageContaining("not an event type of ShopEvent")
                .hasMessageContaining("OrderPlaced");
    }

    @Test
    void anotherContentTypeIsRefused() {
        EncodedEvent avro = new EncodedEvent("Archived", "application/vnd.cqrs.avro", new byte[] {0, 0, 0, 0, 1});

        assertThatThrownBy(() -> codec.decode(avro))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("'Archived'")
                .hasMessageContaining("content type 'application/vnd.cqrs.avro' is not application/json");
    }

    @Test
    void malformedJsonIsRefusedWithTheTypeAndWhere() {
        assertThatThrownBy(() -> codec.decode(json("OrderCancelled", "{\"orderId\": \"" + ORDER + "\",")))
                .isInstanceOf(CodecException.class)
                .hasMessageStartingWith("cannot decode event 'OrderCancelled' from JSON: ")
                .hasMessageContaining("line 1");
        assertThatThrownBy(() -> codec.decode(json("Archived", "{} {}")))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("'Archived'")
                .hasMessageContaining("Trailing token");
        assertThatThrownBy(() -> codec.decode(json("OrderCancelled", "{\"orderId\": \"not-a-uuid\"}")))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("'OrderCancelled'")
                .hasMessageContaining("UUID");
    }

    @Test
    void valuesTheRecordRefusesAreRefused() {
        String withoutCustomer = "{\"orderId\":\"" + ORDER + "\",\"placedAt\":\"" + PLACED + "\",\"lines\":[],"
                + "\"channel\":\"WEB\",\"gift\":false,\"discount\":0}";
        String nullQuantity = "{\"orderId\":\"" + ORDER + "\",\"customer\":\"Ada\",\"placedAt\":\"" + PLACED + "\","
                + "\"lines\":[{\"sku\":\"tea\",\"quantity\":null,\"priceCents\":1}],\"channel\":\"WEB\",\"gift\":false,\"discount\":0}";

        assertThatThrownBy(() -> codec.decode(json("OrderPlaced", withoutCustomer)))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("'OrderPlaced'")
                .hasMessageContaining("customer");
        assertThatThrownBy(() -> codec.decode(json("OrderPlaced", nullQuantity)))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("'OrderPlaced'")
                .hasMessageContaining("Cannot map `null` into type `int`")
                .hasMessageContaining("at 'lines[0].quantity'");
        assertThatThrownBy(() -> codec.decode(json("OrderPlaced", nullQuantity.replace("\"quantity\":null,", ""))))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("'OrderPlaced'")
                .hasMessageContaining("at 'lines[0].quantity'");
    }

    @Test
    void oneCodecServesManyThreadsAtOnce() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(threads.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 2_000; i++) {
                        ShopEvent event = placed(Optional.of("thread " + thread + " event " + i));
                        if (codec.decode(codec.encode(event)).equals(event)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> result : results) {
                assertThat(result.get()).isEqualTo(2_000);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
