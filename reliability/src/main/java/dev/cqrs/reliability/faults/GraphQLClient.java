package dev.cqrs.reliability.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Sends GraphQL requests to the to-do service and says what came back: data, or an error code. */
final class GraphQLClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a request got: the data, or the first error's code (UNREACHABLE when no answer came). */
    record Answer(Optional<JsonNode> data, Optional<String> errorCode, String body) {
        boolean unavailable() {
            return errorCode.map(c -> c.equals("UNAVAILABLE") || c.equals("UNREACHABLE") || c.equals("INTERNAL")).orElse(false);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI endpoint;

    GraphQLClient(URI endpoint) {
        this.endpoint = endpoint;
    }

    Answer send(String query, Map<String, Object> variables) {
        ObjectNode request = JSON.createObjectNode();
        request.put("query", query);
        request.set("variables", JSON.valueToTree(variables));
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(endpoint)
                            .timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(response.body());
            JsonNode errors = body.path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                return new Answer(Optional.empty(), Optional.of(errors.get(0).path("extensions").path("code").asText("UNKNOWN")),
                        response.body());
            }
            return new Answer(Optional.of(body.path("data")), Optional.empty(), response.body());
        } catch (IOException e) {
            return new Answer(Optional.empty(), Optional.of("UNREACHABLE"), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(Optional.empty(), Optional.of("UNREACHABLE"), "interrupted");
        }
    }
}
