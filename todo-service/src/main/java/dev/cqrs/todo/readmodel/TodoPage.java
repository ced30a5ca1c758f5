package dev.cqrs.todo.readmodel;

import java.util.List;

/**
 * One page of the to-do list, newest first.
 *
 * @param totalCount  how many to-dos there are in all
 * @param rows        this page's to-dos
 * @param hasNextPage whether older to-dos follow the last row
 */
public record TodoPage(long totalCount, List<TodoRow> rows, boolean hasNextPage) {

    public TodoPage {
        rows = List.copyOf(rows);
    }
}
