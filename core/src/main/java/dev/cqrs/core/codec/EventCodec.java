package dev.cqrs.core.codec;

/**
 * Turns the events of one aggregate type into bytes and back. The command side encodes before
 * appending (so a schema problem fails the command, not the relay), stores keep the bytes and the
 * content type, and projectors decode.
 */
public interface EventCodec<E> {

    /** @throws CodecException when the event cannot be encoded (e.g. its schema is refused) */
    EncodedEvent encode(E event);

    /**
     * @throws CodecException when the type is unknown, the content type is not this codec's, or the
     *                        payload is malformed; the message names the event type and the reason
     */
    E decode(EncodedEvent encoded);
}
