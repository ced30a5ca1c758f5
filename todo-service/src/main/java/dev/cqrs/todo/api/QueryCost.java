package dev.cqrs.todo.api;

import graphql.analysis.FieldComplexityCalculator;
import graphql.analysis.FieldComplexityEnvironment;

/**
 * What a field costs, for graphql-java's {@code MaxQueryComplexityInstrumentation}: 1 plus its
 * selections; a read of the read model or of a to-do's history {@value #READ} more; a list times the
 * number of items it can return; a command {@value #COMMAND}, so that one request runs a handful of
 * commands at most (nine under the default limit of 5,000).
 */
final class QueryCost implements FieldComplexityCalculator {

    static final int READ = 10;
    static final int COMMAND = 500;

    private final int maxPageSize;

    QueryCost(int maxPageSize) {
        this.maxPageSize = maxPageSize;
    }

    @Override
    public int calculate(FieldComplexityEnvironment env, int childComplexity) {
        String field = env.getParentType().getName() + "." + env.getField().getName();
        int own = 1 + childComplexity;
        return switch (field) {
            case "Query.allTodos" -> READ + TodoGraphQL.pageSize(integer(env, "first"), maxPageSize) * own;
            case "TodoQL.events" -> READ + events(env) * own;
            case "Query.todo", "TodoQL.activity" -> READ + own;
            case "Mutations.newTodo", "TodoMutQL.setDescription", "TodoMutQL.setReminder",
                 "TodoMutQL.cancelReminder", "TodoMutQL.toggle", "TodoMutQL.complete",
                 "TodoMutQL.reset" -> COMMAND + own;
            default -> own;
        };
    }

    /** The events a history returns at most: maxCount clamped as the fetcher clamps it, at least 1. */
    private static int events(FieldComplexityEnvironment env) {
        Integer maxCount = integer(env, "maxCount");
        int count = maxCount == null ? TodoGraphQL.DEFAULT_EVENTS : Math.min(maxCount, TodoGraphQL.MAX_EVENTS);
        return Math.max(1, count);
    }

    private static Integer integer(FieldComplexityEnvironment env, String argument) {
        return env.getArguments().get(argument) instanceof Number n ? (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, n.longValue())) : null;
    }
}
