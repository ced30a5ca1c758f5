package dev.cqrs.core.codec;

/** Turns an aggregate's state into bytes for a snapshot and back. */
public interface StateCodec<S> {

    /** How {@link #encode} encodes, stored beside each snapshot. */
    String contentType();

    /** @throws CodecException when the state cannot be encoded */
    byte[] encode(S state);

    /** @throws CodecException when the bytes are not a state of this codec */
    S decode(byte[] bytes);
}
