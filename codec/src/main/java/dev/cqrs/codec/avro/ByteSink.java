package dev.cqrs.codec.avro;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable, unsynchronized byte buffer that a thread reuses for every event it encodes; it drops
 * a buffer grown beyond {@link #KEEP} on reset, so one huge event does not pin memory.
 */
final class ByteSink extends OutputStream {

    private static final int INITIAL = 512;
    private static final int KEEP = 64 * 1024;

    private byte[] buffer = new byte[INITIAL];
    private int count;

    void reset() {
        if (buffer.length > KEEP) {
            buffer = new byte[INITIAL];
        }
        count = 0;
    }

    @Override
    public void write(int b) {
        ensure(1);
        buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        ensure(length);
        System.arraycopy(bytes, offset, buffer, count, length);
        count += length;
    }

    /** Big-endian, as the schema registry wire format writes the schema id. */
    void writeInt(int value) {
        ensure(4);
        buffer[count++] = (byte) (value >>> 24);
        buffer[count++] = (byte) (value >>> 16);
        buffer[count++] = (byte) (value >>> 8);
        buffer[count++] = (byte) value;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buffer, count);
    }

    private void ensure(int more) {
        if (count + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, count + more));
        }
    }
}
