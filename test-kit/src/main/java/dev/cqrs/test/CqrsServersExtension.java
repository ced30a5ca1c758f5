package dev.cqrs.test;

import dev.cqrs.embedded.ServerBackend;
import dev.cqrs.embedded.containers.ContainerServers;
import dev.cqrs.embedded.kafka.KafkaBroker;
import dev.cqrs.embedded.postgres.PostgresServer;
import dev.cqrs.embedded.registry.LocalSchemaRegistry;
import java.lang.reflect.Method;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;

/**
 * The extension behind {@link CqrsTest}: before a class's first test (or its constructor, for a
 * {@code PER_CLASS} lifecycle) it makes the class's {@link CqrsServers}, and resolves parameters of
 * that type.
 *
 * <p>With {@code CQRS_TEST_SERVERS=containers} and no Docker engine, each test is aborted before its
 * instance is made, so that JUnit and Surefire report every test as skipped, with the reason. (A class
 * aborted as a whole would be counted by Surefire as zero tests run: a silent pass.) The class's
 * {@code @BeforeAll} and {@code @AfterAll} methods are then not run, since they would fail on servers
 * that are not there.
 */
public final class CqrsServersExtension
        implements BeforeAllCallback, TestInstancePreConstructCallback, BeforeEachCallback, ParameterResolver,
        InvocationInterceptor {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(CqrsServersExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        servers(context);
    }

    @Override
    public void preConstructTestInstance(TestInstanceFactoryContext factoryContext, ExtensionContext context) {
        abortIfUnavailable(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        abortIfUnavailable(context);
    }

    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> method,
                                         ExtensionContext context) throws Throwable {
        proceedUnlessUnavailable(invocation, context);
    }

    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> method,
                                        ExtensionContext context) throws Throwable {
        proceedUnlessUnavailable(invocation, context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == CqrsServers.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return servers(context);
    }

    private static CqrsServers servers(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(testClass, CqrsServersExtension::create, CqrsServers.class);
    }

    private static void abortIfUnavailable(ExtensionContext context) {
        servers(context).unavailableReason().ifPresent(Assumptions::abort);
    }

    private static void proceedUnlessUnavailable(Invocation<Void> invocation, ExtensionContext context)
            throws Throwable {
        if (servers(context).unavailableReason().isPresent()) {
            invocation.skip();
        } else {
            invocation.proceed();
        }
    }

    private static CqrsServers create(Class<?> testClass) {
        ServerBackend backend = ServerBackend.selected();
        if (backend == ServerBackend.CONTAINERS) {
            Optional<String> unavailable = ContainerServers.unavailableReason();
            if (unavailable.isPresent()) {
                return CqrsServers.unavailable(backend, ServerBackend.VARIABLE + "=containers, but " + unavailable.get());
            }
        }
        String name = testClass.getSimpleName();
        return CqrsServers.of(backend,
                PostgresServer.shared().createDatabase(name),
                KafkaBroker.shared(),
                LocalSchemaRegistry.sharedUrl(),
                KafkaBroker.uniqueTopic(name) + "-");
    }
}
