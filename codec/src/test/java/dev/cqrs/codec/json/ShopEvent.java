package dev.cqrs.codec.json;

import dev.cqrs.core.Event;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/** Events with every kind of component the JSON codec must carry. */
sealed interface ShopEvent extends Event {

    enum Channel { WEB, PHONE }

    record Line(String sku, int quantity, long priceCents) {
    }

    record OrderPlaced(UUID orderId, String customer, Instant placedAt, List<Line> lines, Optional<String> note,
                       Channel channel, boolean gift, double discount) implements ShopEvent {
        public OrderPlaced {
            Objects.requireNonNull(customer, "customer");
        }
    }

    record OrderCancelled(UUID orderId, Optional<Instant> refundBy) implements ShopEvent {
    }

    /** No components at all. */
    record Archived() implements ShopEvent {
    }
}
