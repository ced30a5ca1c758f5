package dev.cqrs.todo.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The web page at {@code /}, driven like a person would in headless Chromium (Debian's package): add,
 * edit, set and cancel a reminder, toggle, see a conflict, page through the list, and nothing a user
 * types is ever run as markup; and GraphiQL at {@code /graphiql}, served by the service itself. Each test
 * is skipped, saying why, when /usr/bin/chromium is not installed, and fails in CI (CI=true), whose
 * .ci/run installs it.
 */
class WebPageBrowserTest {

    /** The to-do with this description, in the page. */
    private static final String ITEM = "[...document.querySelectorAll('#todos li')].find(li => li.querySelector('.description')"
            + ".textContent === %s)";
    private static final String READY = "document.body.dataset.state === 'ready'";

    private static TestService todo;

    @BeforeAll
    static void start() {
        // No assumption here: it would hide the tests. Each test decides for itself (Chromium.assumeInstalled).
        if (Chromium.isInstalled()) {
            todo = TestService.start("todo_web_page");
        }
    }

    @AfterAll
    static void stop() {
        if (todo != null) {
            todo.close();
        }
    }

    @Test
    void aPersonAddsEditsRemindsTogglesSeesAConflictAndPagesThroughTheList() throws Exception {
        Chromium.assumeInstalled();
        try (Chromium browser = Chromium.open(todo.url("/"))) {
            browser.waitFor(READY);

            // add
            browser.eval("document.getElementById('new-text').value = 'Buy oat milk';"
                    + " document.getElementById('add-form').requestSubmit()");
            browser.waitFor(READY + " && " + item("Buy oat milk"));
            assertThat(browser.eval(item("Buy oat milk") + ".dataset.version").asText()).isEqualTo("1");
            assertThat(browser.eval("document.getElementById('summary').textContent").asText()).isEqualTo("1 to-do");

            // edit the description
            browser.eval(item("Buy oat milk") + ".querySelector('.edit').click()");
            browser.eval(on("Buy oat milk", "li.querySelector('.edit-text').value = 'Buy oat milk and bread';"
                    + " li.querySelector('.edit-form').requestSubmit()"));
            browser.waitFor(READY + " && " + item("Buy oat milk and bread") + "?.dataset.version === '2'");
            String id = browser.eval(item("Buy oat milk and bread") + ".dataset.id").asText();

            // set a reminder, then cancel it
            browser.eval(on("Buy oat milk and bread", "li.querySelector('.set-reminder').click();"
                    + " li.querySelector('.reminder-input').value = '2099-06-01T09:30'; li.querySelector('.reminder-form').requestSubmit()"));
            browser.waitFor(READY + " && !" + item("Buy oat milk and bread") + ".querySelector('.reminder').hidden");
            assertThat(browser.eval(item("Buy oat milk and bread") + ".querySelector('.reminder').dataset.value").asText())
                    .startsWith("2099-06-01T");
            browser.eval(item("Buy oat milk and bread") + ".querySelector('.cancel-reminder').click()");
            browser.waitFor(READY + " && " + item("Buy oat milk and bread") + ".dataset.version === '4'");
            assertThat(browser.eval(item("Buy oat milk and bread") + ".querySelector('.reminder').hidden").asBoolean()).isTrue();

            // toggle
            browser.eval(item("Buy oat milk and bread") + ".querySelector('.toggle').click()");
            browser.waitFor(READY + " && " + item("Buy oat milk and bread") + ".classList.contains('completed')");
            assertThat(browser.eval(item("Buy oat milk and bread") + ".dataset.version").asText()).isEqualTo("5");

            // someone else changes it; the page, still at version 5, is told so instead of overwriting
            JsonNode elsewhere = todo.graphql("mutation($id: ID!) { todo(id: $id) { setDescription(text: \"Changed elsewhere\") { version } } }",
                    Map.of("id", id));
            assertThat(elsewhere.path("data").path("todo").path("setDescription").path("version").asInt()).isEqualTo(6);
            browser.eval(on("Buy oat milk and bread", "li.querySelector('.edit').click();"
                    + " li.querySelector('.edit-text').value = 'My edit'; li.querySelector('.edit-form').requestSubmit()"));
            browser.waitFor(READY + " && !document.getElementById('notice').hidden");
            assertThat(browser.eval("document.getElementById('notice').className").asText()).isEqualTo("conflict");
            assertThat(browser.eval("document.getElementById('notice-text').textContent").asText())
                    .contains("Conflict").contains("version 5").contains("version 6");
            browser.waitFor(item("Changed elsewhere"));
            assertThat(browser.eval(item("My edit") + " === undefined").asBoolean()).isTrue();
            Files.write(Path.of("target", "web-page-conflict.png"), browser.screenshot());

            // a refused description is explained, not stored
            long events = todo.eventCount();
            browser.eval("document.getElementById('new-text').value = '   '; document.getElementById('add-form').requestSubmit()");
            browser.waitFor(READY + " && document.getElementById('notice').className === 'error'");
            assertThat(browser.eval("document.getElementById('notice-text').textContent").asText()).contains("Not saved");
            assertThat(todo.eventCount()).isEqualTo(events);

            // markup typed by a user is shown as text, never run
            String markup = "<img src=x onerror=\"window.pwned = 1\">";
            browser.eval("document.getElementById('new-text').value = " + TestService.JSON.valueToTree(markup)
                    + "; document.getElementById('add-form').requestSubmit()");
            browser.waitFor(READY + " && " + item(markup));
            assertThat(browser.eval("document.querySelector('#todos img') === null && window.pwned === undefined").asBoolean()).isTrue();

            // page through the list: ten to a page, newest first
            String position = null;
            for (int i = 1; i <= 11; i++) {
                position = todo.graphql("mutation($t: String!) { newTodo(text: $t) { position } }", Map.of("t", "bulk " + i))
                        .path("data").path("newTodo").path("position").asText();
            }
            todo.graphql("query($p: Position) { allTodos(minPosition: $p) { totalCount } }", Map.of("p", position));
            browser.eval("location.reload()");
            browser.waitFor(READY + " && document.querySelectorAll('#todos li').length === 10");
            assertThat(browser.eval("document.getElementById('summary').textContent").asText()).isEqualTo("13 to-dos");
            assertThat(browser.eval("document.querySelector('#todos .description').textContent").asText()).isEqualTo("bulk 11");
            assertThat(browser.eval("document.getElementById('prev').disabled").asBoolean()).isTrue();
            browser.eval("document.getElementById('next').click()");
            browser.waitFor(READY + " && document.getElementById('page-label').textContent === 'Page 2'");
            assertThat(browser.eval("[...document.querySelectorAll('#todos .description')].map(d => d.textContent)").toString())
                    .isEqualTo("[\"bulk 1\",\"" + markup.replace("\"", "\\\"") + "\",\"Changed elsewhere\"]");
            assertThat(browser.eval("document.getElementById('next').disabled").asBoolean()).isTrue();
            browser.eval("document.getElementById('prev').click()");
            browser.waitFor(READY + " && document.getElementById('page-label').textContent === 'Page 1'");
            assertThat(browser.eval("document.querySelector('#todos .description').textContent").asText()).isEqualTo("bulk 11");
            Files.write(Path.of("target", "web-page.png"), browser.screenshot());
        }
    }

    @Test
    void graphiqlComesFromTheServiceItselfRendersItsEditorAndRunsAQuery() throws Exception {
        Chromium.assumeInstalled();
        try (Chromium browser = Chromium.open(todo.url("/graphiql"))) {
            browser.waitFor("document.querySelector('.graphiql-container .graphiql-query-editor .CodeMirror') !== null");

            browser.eval("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ apiVersion }')");
            browser.eval("document.querySelector('.graphiql-execute-button').click()");
            browser.waitFor("document.querySelector('.result-window .CodeMirror').CodeMirror.getValue().includes('apiVersion')");

            assertThat(browser.eval("document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()").asText())
                    .contains("\"apiVersion\": \"1.0\"");
            JsonNode origins = browser.eval("[...new Set(performance.getEntriesByType('resource').map(r => new URL(r.name).origin))]");
            assertThat(origins.toString()).as("every file GraphiQL loaded").isEqualTo("[\"" + todo.url("").toString().replaceAll("/$", "") + "\"]");
            Files.write(Path.of("target", "graphiql.png"), browser.screenshot());
        }
    }

    /** Runs statements on the to-do {@code li} with this description. */
    private static String on(String description, String statements) {
        return "(li => { " + statements + " })(" + item(description) + ")";
    }

    private static String item(String description) {
        return String.format(ITEM, TestService.JSON.valueToTree(description));
    }
}
