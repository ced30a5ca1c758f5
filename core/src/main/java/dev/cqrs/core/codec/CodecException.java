package dev.cqrs.core.codec;

/** An event or state could not be encoded or decoded; the message says which type and why. */
public class CodecException extends RuntimeException {

    public CodecException(String message) {
        super(message);
    }

    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
