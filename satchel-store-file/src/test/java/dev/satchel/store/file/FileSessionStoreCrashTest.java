package dev.satchel.store.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process saving sessions, killed with SIGKILL in the middle of its writes: the store opened
 * again on its folder holds every session and every update the process had acknowledged, and no
 * torn file. This is a crash of the process; a crash of the machine, which {@code Sync.ALWAYS} is
 * for, rests on fsync and is not simulated here.
 */
class FileSessionStoreCrashTest {
    @TempDir
    Path dir;

    @Test
    void sigkillMidWrite_losesNoAcknowledgedChange() throws Exception {
        Path folder = dir.resolve("sessions");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process writer = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        classPath,
                        CrashWriter.class.getName(),
                        folder.toString(),
                        "ALWAYS")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        Map<String, Long> acknowledged = new LinkedHashMap<>();
        String counter = null;
        long lastCount = 0;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                String[] parts = line.split(" ");
                if (parts[0].equals("new")) {
                    acknowledged.put(parts[1], Long.parseLong(parts[2]));
                } else if (parts[0].equals("count")) {
                    counter = parts[1];
                    lastCount = Long.parseLong(parts[2]);
                }
                if (acknowledged.size() == 300) {
                    writer.destroyForcibly(); // SIGKILL, while it is writing the next ones
                    break;
                }
            }
        }
        assertThat(writer.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(acknowledged).as("the writer ran").hasSize(300);

        try (FileSessionStore store = FileSessionStore.builder(folder).build()) {
            for (Map.Entry<String, Long> ack : acknowledged.entrySet()) {
                SessionRecord r = store.load(SessionId.parse(ack.getKey()).orElseThrow())
                        .orElseThrow(() -> new AssertionError("an acknowledged session was lost: " + ack.getValue()));
                assertThat(new String(r.attributes().get("n"), StandardCharsets.UTF_8))
                        .isEqualTo(Long.toString(ack.getValue()));
            }
            SessionRecord count =
                    store.load(SessionId.parse(counter).orElseThrow()).orElseThrow();
            assertThat(Long.parseLong(new String(count.attributes().get("count"), StandardCharsets.UTF_8)))
                    .as("the counter holds its last acknowledged update, or one the kill cut off after writing")
                    .isGreaterThanOrEqualTo(lastCount);
            assertThat(store.counters()).containsEntry("files_set_aside", 0L);
        }
    }
}
