package dev.cqrs.todo.web;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;

/**
 * The web page for people ({@code /}, plain HTML, CSS and JavaScript that talk to {@code /graphql})
 * and GraphiQL ({@code /graphiql}), from the resources beside this class, read once at start-up.
 *
 * <p>The page allows only its own scripts and styles (Content-Security-Policy); GraphiQL loads its
 * bundle, pinned by version and integrity hash, from the unpkg CDN, so it needs the browser to reach
 * the internet (the page and the API do not).
 */
public final class WebAssets {

    private static final String PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    private static final String GRAPHIQL_POLICY = "default-src 'self'; script-src 'self' https://unpkg.com;"
            + " style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data:; font-src 'self' data: https://unpkg.com;"
            + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

    private record Asset(byte[] bytes, String contentType, String policy) {
    }

    private final Map<String, Asset> assets;

    public WebAssets() {
        this.assets = Map.of(
                "index.html", new Asset(read("index.html"), "text/html; charset=utf-8", PAGE_POLICY),
                "app.js", new Asset(read("app.js"), "text/javascript; charset=utf-8", PAGE_POLICY),
                "style.css", new Asset(read("style.css"), "text/css; charset=utf-8", PAGE_POLICY),
                "graphiql.html", new Asset(read("graphiql.html"), "text/html; charset=utf-8", GRAPHIQL_POLICY),
                "graphiql.js", new Asset(read("graphiql.js"), "text/javascript; charset=utf-8", GRAPHIQL_POLICY));
    }

    /** A handler that serves the asset {@code name}. */
    public io.javalin.http.Handler serve(String name) {
        Asset asset = Objects.requireNonNull(assets.get(name), name);
        return ctx -> send(ctx, asset);
    }

    private static void send(Context ctx, Asset asset) {
        ctx.header("Content-Security-Policy", asset.policy())
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-cache")
                .contentType(asset.contentType())
                .result(asset.bytes());
    }

    private static byte[] read(String name) {
        try (InputStream in = WebAssets.class.getResourceAsStream(name)) {
            return Objects.requireNonNull(in, "missing web resource " + name).readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read web resource " + name, e);
        }
    }
}
