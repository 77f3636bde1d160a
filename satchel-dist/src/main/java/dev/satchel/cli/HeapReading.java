package dev.satchel.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bytes of live objects on a node's heap, asked with the JDK's {@code jcmd}: {@code
 * GC.class_histogram} collects the whole heap first and then counts every object left, so garbage
 * waiting to be collected and the collector's own slack (partly used regions) are not counted. The
 * lab reads it around the sessions it makes, so what they hold stands out.
 */
final class HeapReading {
    /** The histogram's last line: "Total  &lt;instances&gt;  &lt;bytes&gt;". */
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

    private HeapReading() {}

    /** The live objects' bytes after a full collection; empty when the JVM cannot be asked. */
    static OptionalLong afterFullCollection(long pid, Duration timeout) {
        Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return OptionalLong.empty();
        }
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
                    .redirectErrorStream(true)
                    .start();
            p.getOutputStream().close();
            // The histogram runs to thousands of lines: read it while jcmd writes, or it blocks.
            java.util.concurrent.CompletableFuture<String> out =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try (InputStream in = p.getInputStream()) {
                            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                        } catch (IOException e) {
                            return "";
                        }
                    });
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return OptionalLong.empty();
            }
            return p.exitValue() == 0 ? liveBytes(out.join()) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    /** The bytes on the {@code Total} line of {@code GC.class_histogram}'s output. */
    static OptionalLong liveBytes(String histogram) {
        Matcher m = TOTAL.matcher(histogram);
        return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }
}
