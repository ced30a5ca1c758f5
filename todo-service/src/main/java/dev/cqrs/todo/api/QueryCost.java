package dev.cqrs.todo.api;

import graphql.analysis.FieldComplexityCalculator;
import graphql.analysis.FieldComplexityEnvironment;

/**
 * What a field costs, for graphql-java's {@code MaxQueryComplexityInstrumentation}: 1 plus its
 * selections; a read of the read model or of a to-do's history {@value #READ} more; a list times the
 * number of items asked for; a command {@value #COMMAND}, so that one request runs a handful of
 * commands at most (nine under the default limit of 5,000).
 */
final class QueryCost implements FieldComplexityCalculator {

    static final int READ = 10;
    static final int COMMAND = 500;

    @Override
    public int calculate(FieldComplexityEnvironment env, int childComplexity) {
        String field = env.getParentType().getName() + "." + env.getField().getName();
        int own = 1 + childComplexity;
        return switch (field) {
            case "Query.allTodos" -> READ + size(env, "first", 20) * own;
            case "Todo.events" -> READ + size(env, "maxCount", 100) * own;
            case "Query.todo", "Todo.activity" -> READ + own;
            case "Mutation.newTodo", "TodoMutation.setDescription", "TodoMutation.setReminder",
                 "TodoMutation.cancelReminder", "TodoMutation.toggle", "TodoMutation.complete",
                 "TodoMutation.reset" -> COMMAND + own;
            default -> own;
        };
    }

    /** The size argument, clamped to 0..1000 (a fetcher refuses what is out of range). */
    private static int size(FieldComplexityEnvironment env, String argument, int byDefault) {
        Object value = env.getArguments().get(argument);
        int size = value instanceof Number n ? (int) Math.max(0, Math.min(1_000, n.longValue())) : byDefault;
        return Math.max(1, size);
    }
}
