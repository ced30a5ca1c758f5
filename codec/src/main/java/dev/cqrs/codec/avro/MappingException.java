package dev.cqrs.codec.avro;

/**
 * A value that does not fit its mapping, with the path of the field it sits in (e.g.
 * {@code items[2].due}); the codec turns it into a {@code CodecException} that names the event.
 */
final class MappingException extends RuntimeException {

    private final String path;
    private final String problem;

    MappingException(String path, String problem) {
        super(path.isEmpty() ? problem : "field '" + path + "' " + problem, null, false, false);
        this.path = path;
        this.problem = problem;
    }

    MappingException(String problem) {
        this("", problem);
    }

    /** The same problem, one level further out: inside {@code field} (a name, or {@code [i]}). */
    MappingException within(String field) {
        String joined = path.isEmpty() ? field : path.startsWith("[") ? field + path : field + "." + path;
        return new MappingException(joined, problem);
    }
}
