package dev.cqrs.core.contract;

import dev.cqrs.core.codec.CodecException;
import dev.cqrs.core.codec.EncodedEvent;
import dev.cqrs.core.codec.EventCodec;
import dev.cqrs.core.codec.StateCodec;
import java.nio.charset.StandardCharsets;

/**
 * Codecs for the contract's aggregate, for stores that keep bytes. Deliberately tiny and free of
 * libraries: the contract tests stores, not codecs.
 */
public final class ContractCodecs {

    public static final String CONTENT_TYPE = "text/x-contract";

    private ContractCodecs() {
    }

    public static EventCodec<ContractEvent> events() {
        return new EventCodec<>() {
            @Override
            public EncodedEvent encode(ContractEvent event) {
                String text = switch (event) {
                    case ContractEvent.Incremented(int by) -> Integer.toString(by);
                    case ContractEvent.Renamed(String name) -> name;
                };
                return new EncodedEvent(event.eventType(), CONTENT_TYPE, text.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public ContractEvent decode(EncodedEvent encoded) {
                String text = new String(encoded.payload(), StandardCharsets.UTF_8);
                return switch (encoded.eventType()) {
                    case "Incremented" -> new ContractEvent.Incremented(Integer.parseInt(text));
                    case "Renamed" -> new ContractEvent.Renamed(text);
                    default -> throw new CodecException("unknown contract event type '" + encoded.eventType() + "'");
                };
            }
        };
    }

    public static StateCodec<ContractState> state() {
        return new StateCodec<>() {
            @Override
            public String contentType() {
                return CONTENT_TYPE;
            }

            @Override
            public byte[] encode(ContractState state) {
                return (state.count() + "\n" + state.name()).getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public ContractState decode(byte[] bytes) {
                String text = new String(bytes, StandardCharsets.UTF_8);
                int newline = text.indexOf('\n');
                if (newline < 0) {
                    throw new CodecException("not a contract state: " + text);
                }
                return new ContractState(Long.parseLong(text.substring(0, newline)), text.substring(newline + 1));
            }
        };
    }
}
