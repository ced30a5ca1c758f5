package dev.cqrs.todo.service;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the to-do service: {@code serve} (the default) with the configuration of the environment, as in
 * a container; {@code dev} with embedded PostgreSQL, Kafka and schema registry for what the environment
 * does not name ({@code ./cqrs dev}). Ctrl-C or SIGTERM stops it in order: the HTTP server, the roles,
 * then the embedded servers.
 */
public final class TodoServiceMain {

    private static final Logger log = LoggerFactory.getLogger(TodoServiceMain.class);

    private TodoServiceMain() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "serve" : args[0];
        if (Arrays.asList(args).stream().anyMatch(a -> a.equals("help") || a.equals("-h") || a.equals("--help"))) {
            command = "help";
        } else if (args.length > 1) {
            System.err.print("unexpected arguments after '" + command + "'\n\n" + usage());
            System.exit(2);
        }
        switch (command) {
            case "serve" -> run(System.getenv(), false);
            case "dev" -> run(System.getenv(), true);
            case "help", "-h", "--help" -> System.out.print(usage());
            default -> {
                System.err.print("unknown command '" + command + "'\n\n" + usage());
                System.exit(2);
            }
        }
    }

    private static String usage() {
        String launcher = System.getProperty("cqrs.command", "TodoServiceMain");
        return "usage: " + (launcher.endsWith(" dev") ? launcher + " [help]" : launcher + " [dev|serve|help]") + "\n\n"
                + "  dev     dev mode: starts an embedded PostgreSQL, Kafka broker and schema registry for whatever the\n"
                + "          environment does not name, keeps their data in $" + DevMode.DATA_DIR_VARIABLE + " (default .cqrs/dev),\n"
                + "          and serves every role on http://localhost:8080; Kafka listens on localhost:9092, the registry on\n"
                + "          localhost:8081 and PostgreSQL on localhost:5432 (a port that is taken falls back to a free one)\n"
                + "          ($" + DevMode.DevPort.KAFKA.variable + ", $" + DevMode.DevPort.REGISTRY.variable + ", $"
                + DevMode.DevPort.DB.variable + " choose others; 0: any free port)\n"
                + "  serve   the roles of CQRS_ROLES with the servers the environment names (containers)\n\n"
                + "environment:\n" + ServiceConfig.documentation();
    }

    private static void run(Map<String, String> env, boolean dev) throws Exception {
        Deque<AutoCloseable> servers = new ArrayDeque<>();
        TodoService service;
        Path data = DevMode.dataDirectory(env);
        Map<String, String> effective;
        try {
            effective = dev ? DevMode.start(env, data, servers) : env;
            service = TodoService.start(ServiceConfig.from(effective));
        } catch (ServiceConfig.InvalidConfigException e) {
            stopAll(servers);
            System.err.println("cqrs: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            log.error("The to-do service could not start: {}", e.getMessage(), e);
            stopAll(servers);
            System.exit(1);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopping.compareAndSet(false, true)) {
                service.close();
                stopAll(servers);
                stopped.countDown();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "cqrs-todo-shutdown"));
        if (dev) {
            // The embedded PostgreSQL stops itself in a shutdown hook of its own, which would race with ours;
            // handling SIGINT and SIGTERM here stops everything in order before the JVM's hooks run.
            onSignals(() -> {
                stop.run();
                System.exit(0);
            });
            System.out.print(DevMode.banner(effective, service.url().toString(), data));
        }
        stopped.await();
    }

    private static void stopAll(Deque<AutoCloseable> servers) {
        while (!servers.isEmpty()) {
            AutoCloseable server = servers.pop();
            try {
                server.close();
            } catch (Exception e) {
                log.warn("Could not stop {}: {}", server, e.toString());
            }
        }
    }

    /**
     * Runs {@code action} on SIGINT and SIGTERM, through {@code sun.misc.Signal} (jdk.unsupported), found by
     * reflection so that the build stays free of its warnings; without it, the shutdown hook does the work.
     */
    private static void onSignals(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(TodoServiceMain.class.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, arguments) -> switch (method.getName()) {
                        case "handle" -> {
                            Thread.ofPlatform().name("cqrs-todo-signal").start(action);
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == arguments[0];
                        default -> "cqrs signal handler";
                    });
            Method handle = signal.getMethod("handle", signal, handlerType);
            for (String name : new String[] {"INT", "TERM"}) {
                handle.invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.debug("No signal handling ({}); the shutdown hook stops the service", e.toString());
        }
    }
}
