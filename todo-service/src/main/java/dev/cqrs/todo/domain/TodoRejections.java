package dev.cqrs.todo.domain;

/** The codes of the to-do's rejections, as the API reports them. */
public final class TodoRejections {

    /** The command's input breaks a rule: empty or too long description, reminder not in the future. */
    public static final String VALIDATION = "VALIDATION";
    /** A command other than CreateTodo on a to-do that does not exist. */
    public static final String NOT_INITIALIZED = "NOT_INITIALIZED";
    /** CreateTodo on a to-do that exists. */
    public static final String ALREADY_CREATED = "ALREADY_CREATED";

    private TodoRejections() {
    }
}
