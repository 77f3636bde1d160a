package dev.satchel.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What else the machine was doing while a benchmark ran: the load average before it, and the
 * CPU time the hypervisor took (steal) during it. Figures from a busy or stolen-from machine are
 * printed beside these, so that a reader can tell.
 *
 * @param loadAverage {@code /proc/loadavg}'s 1, 5 and 15 minute averages before the run, or
 *     {@code "unknown"}
 * @param stealPercent steal as a share of all CPU time during the run; empty when the kernel's
 *     {@code /proc/stat} has no steal column
 */
public record MachineState(String loadAverage, OptionalDouble stealPercent) {
    private static final Path LOADAVG = Path.of("/proc/loadavg");
    private static final Path STAT = Path.of("/proc/stat");

    /** Reads the load average and the CPU counters now; {@link Probe#end()} at the end of the run. */
    public static Probe begin() {
        return new Probe(read(LOADAVG).map(MachineState::loadOf).orElse("unknown"), read(STAT));
    }

    /** One line for the reports: {@code load average before the run 0.52 0.40 0.33; CPU steal ...}. */
    public String describe() {
        return "load average before the run " + loadAverage + " (1, 5, 15 min); CPU steal during the run "
                + (stealPercent.isPresent()
                        ? String.format(Locale.ROOT, "%.1f%% of all CPU time", stealPercent.getAsDouble())
                        : "not shown by this kernel");
    }

    /** The run's start, waiting for its end. */
    public static final class Probe {
        private final String loadAverage;
        private final Optional<String> statBefore;

        private Probe(String loadAverage, Optional<String> statBefore) {
            this.loadAverage = loadAverage;
            this.statBefore = statBefore;
        }

        public MachineState end() {
            Optional<String> after = read(STAT);
            return new MachineState(
                    loadAverage,
                    statBefore.isPresent() && after.isPresent()
                            ? steal(statBefore.get(), after.get())
                            : OptionalDouble.empty());
        }
    }

    /** The first three fields of {@code /proc/loadavg}. */
    static String loadOf(String loadavg) {
        String[] fields = loadavg.trim().split("\\s+");
        return String.join(" ", Arrays.copyOf(fields, Math.min(3, fields.length)));
    }

    /**
     * Steal between two readings of {@code /proc/stat}, as a percentage of the total of its first
     * eight columns (user, nice, system, idle, iowait, irq, softirq, steal; guest time is already
     * in user). Empty when the {@code cpu} line has no steal column or did not move.
     */
    static OptionalDouble steal(String before, String after) {
        Optional<long[]> b = cpuLine(before);
        Optional<long[]> a = cpuLine(after);
        if (b.isEmpty() || a.isEmpty() || b.get().length < 8 || a.get().length < 8) {
            return OptionalDouble.empty();
        }
        long total = 0;
        for (int i = 0; i < 8; i++) {
            total += a.get()[i] - b.get()[i];
        }
        long steal = a.get()[7] - b.get()[7];
        return total <= 0 ? OptionalDouble.empty() : OptionalDouble.of(100.0 * steal / total);
    }

    private static Optional<long[]> cpuLine(String stat) {
        return stat.lines().filter(l -> l.startsWith("cpu ")).findFirst().map(l -> Arrays.stream(
                        l.trim().split("\\s+"))
                .skip(1)
                .mapToLong(Long::parseLong)
                .toArray());
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty(); // not Linux: the report says so
        }
    }
}
