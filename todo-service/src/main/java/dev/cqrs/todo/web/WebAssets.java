package dev.cqrs.todo.web;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The web page for people ({@code /}, plain HTML, CSS and JavaScript that talk to {@code /graphql})
 * and GraphiQL ({@code /graphiql}), read once at start-up: the page from the resources beside this class,
 * GraphiQL's bundle and the React it runs on from their WebJars on the class path. Nothing is loaded from
 * anywhere else, so both work where the browser cannot reach the internet.
 *
 * <p>Each page allows only the service's own scripts and styles (Content-Security-Policy); GraphiQL also
 * needs inline styles, which its editor sets.
 */
public final class WebAssets {

    /** The paths GraphiQL's files are served at, beside {@code /graphiql}. */
    public static final String GRAPHIQL_JS = "graphiql/graphiql.min.js";
    public static final String GRAPHIQL_CSS = "graphiql/graphiql.min.css";
    public static final String REACT_JS = "graphiql/react.production.min.js";
    public static final String REACT_DOM_JS = "graphiql/react-dom.production.min.js";

    private static final String PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    private static final String GRAPHIQL_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            + " img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";
    private static final String JS = "text/javascript; charset=utf-8";

    private record Asset(byte[] bytes, String contentType, String policy) {
    }

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    /** @throws IllegalStateException when a file or a WebJar is missing from the class path */
    public WebAssets() {
        page("index.html", "text/html; charset=utf-8", PAGE_POLICY);
        page("app.js", JS, PAGE_POLICY);
        page("style.css", "text/css; charset=utf-8", PAGE_POLICY);
        page("graphiql.html", "text/html; charset=utf-8", GRAPHIQL_POLICY);
        page("graphiql.js", JS, GRAPHIQL_POLICY);
        webJar(GRAPHIQL_JS, "graphiql", "graphiql.min.js", JS);
        webJar(GRAPHIQL_CSS, "graphiql", "graphiql.min.css", "text/css; charset=utf-8");
        webJar(REACT_JS, "react", "umd/react.production.min.js", JS);
        webJar(REACT_DOM_JS, "react-dom", "umd/react-dom.production.min.js", JS);
    }

    /** A handler that serves the asset {@code name}: a file name of the page, or one of the GraphiQL paths above. */
    public io.javalin.http.Handler serve(String name) {
        Asset asset = Objects.requireNonNull(assets.get(name), name);
        return ctx -> send(ctx, asset);
    }

    private void page(String name, String contentType, String policy) {
        assets.put(name, new Asset(read(WebAssets.class, name), contentType, policy));
    }

    /** A file of the npm package {@code artifact}, from its WebJar (org.webjars.npm), whatever version is on the class path. */
    private void webJar(String name, String artifact, String file, String contentType) {
        String version = webJarVersion(artifact);
        assets.put(name, new Asset(read(WebAssets.class, "/META-INF/resources/webjars/" + artifact + "/" + version + "/" + file),
                contentType, GRAPHIQL_POLICY));
    }

    private static String webJarVersion(String artifact) {
        Properties properties = new Properties();
        try (InputStream in = WebAssets.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the WebJar org.webjars.npm:" + artifact + " is not on the class path: GraphiQL needs it");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the version of the WebJar " + artifact, e);
        }
        return Objects.requireNonNull(properties.getProperty("version"), "no version in the WebJar " + artifact);
    }

    private static void send(Context ctx, Asset asset) {
        ctx.header("Content-Security-Policy", asset.policy())
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-cache")
                .contentType(asset.contentType())
                .result(asset.bytes());
    }

    private static byte[] read(Class<?> base, String name) {
        try (InputStream in = base.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing web resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read web resource " + name, e);
        }
    }
}
