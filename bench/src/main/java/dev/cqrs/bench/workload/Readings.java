package dev.cqrs.bench.workload;

import java.util.ArrayList;
import java.util.List;

/**
 * The rows every side of a comparison writes: reading {@code index} of client {@code client} is the
 * same event, in the same aggregate at the same sequence number, whoever writes it. So ours and the
 * baseline insert the same rows (same ids, same sequences, same payload bytes), each into its own
 * table.
 */
public final class Readings {

    /** One-event commands per aggregate: a load reads 0 to 9 events, as for a typical short-lived aggregate. */
    public static final int COMMANDS_PER_AGGREGATE = 10;
    /** Events per batch append. */
    public static final int BATCH = 100;
    /** Batch appends per aggregate. */
    public static final int BATCHES_PER_AGGREGATE = 10;

    /** Notes of 140 characters, so that an encoded reading is about 200 bytes of JSON. */
    private static final String[] NOTES = notes(16, 140);

    private Readings() {
    }

    public static MeterEvent.ReadingRecorded reading(int client, long index) {
        long amount = Math.floorMod(client * 1_000_003L + index * 7_919L, 100_000L);
        return new MeterEvent.ReadingRecorded(amount, "kWh", "client-" + client,
                NOTES[(int) Math.floorMod(index + client, (long) NOTES.length)]);
    }

    /** Readings {@code first} to {@code first + count - 1} of a client. */
    public static List<MeterEvent.ReadingRecorded> readings(int client, long first, int count) {
        List<MeterEvent.ReadingRecorded> readings = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            readings.add(reading(client, first + i));
        }
        return readings;
    }

    /**
     * The aggregate that a client's one-event command {@code index} goes to: the client's own (no
     * two clients share one), fresh for each run (the tag, e.g. a round's), and short-lived
     * ({@value #COMMANDS_PER_AGGREGATE} commands), so that loading it costs as much in the last round
     * as in the first.
     */
    public static String commandTarget(String tag, int client, long index) {
        return "c-" + tag + "-" + client + "-" + index / COMMANDS_PER_AGGREGATE;
    }

    /** The sequence number of the event of a client's one-event command {@code index}. */
    public static long commandSequence(long index) {
        return index % COMMANDS_PER_AGGREGATE + 1;
    }

    /** The aggregate that a client's batch {@code index} goes to; it takes {@value #BATCHES_PER_AGGREGATE} batches. */
    public static String batchTarget(String tag, int client, long index) {
        return "b-" + tag + "-" + client + "-" + index / BATCHES_PER_AGGREGATE;
    }

    /** The version of its aggregate before a client's batch {@code index}. */
    public static long versionBeforeBatch(long index) {
        return index % BATCHES_PER_AGGREGATE * BATCH;
    }

    private static String[] notes(int count, int length) {
        String words = "meter reading taken on site by the field engineer after the quarterly check of the"
                + " installation, seal intact, display legible, no tampering observed, customer present ";
        String[] notes = new String[count];
        for (int i = 0; i < count; i++) {
            StringBuilder note = new StringBuilder(length);
            int at = (i * 17) % words.length();
            while (note.length() < length) {
                note.append(words.charAt(at));
                at = (at + 1) % words.length();
            }
            notes[i] = note.toString();
        }
        return notes;
    }
}
