package dev.cqrs.bench.report;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The machine a run measured: figures mean little without it.
 *
 * @param cores       processors available to the JVM
 * @param memoryBytes physical memory
 * @param cpu         the CPU model, from /proc/cpuinfo where there is one
 * @param os          name, version and architecture
 * @param jdk         the JVM's vendor and version
 */
public record Machine(int cores, long memoryBytes, String cpu, String os, String jdk) {

    public static Machine current() {
        long memory = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : -1;
        return new Machine(Runtime.getRuntime().availableProcessors(), memory, cpuModel().orElse("unknown"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.runtime.version"));
    }

    private static Optional<String> cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public String describe() {
        return String.format(java.util.Locale.ROOT, "%d cores (%s), %.1f GiB memory, %s, %s",
                cores, cpu, memoryBytes / (1024.0 * 1024 * 1024), os, jdk);
    }
}
