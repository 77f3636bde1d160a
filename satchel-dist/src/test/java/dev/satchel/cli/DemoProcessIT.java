package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the packaged jar as a real process, as the README's {@code ./satchel demo} does. */
class DemoProcessIT {

    private static final Path JAR = Path.of("target", "satchel.jar");

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void demo_servesTheShop_andStopsOnSigterm() throws Exception {
        assertThat(JAR).exists();
        int port = freePort();
        Path data = Files.createTempDirectory("satchel-demo-it");
        Process demo = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        JAR.toString(),
                        "demo",
                        "--port",
                        Integer.toString(port),
                        "--data-dir",
                        data.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
            String banner = CompletableFuture.supplyAsync(() -> {
                        try {
                            return out.readLine();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    })
                    .get(60, TimeUnit.SECONDS);
            assertThat(banner).contains("is serving http://127.0.0.1:" + port);

            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpResponse<String> signup = http.send(
                    HttpRequest.newBuilder(base.resolve("/api/signup"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"username\":\"proc\",\"password\":\"a long enough phrase\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(signup.statusCode()).isEqualTo(201);
            assertThat(signup.headers().firstValue("X-Served-By")).contains("node-1");
        } finally {
            demo.destroy();
            assertThat(demo.waitFor(20, TimeUnit.SECONDS))
                    .as("demo stops on SIGTERM")
                    .isTrue();
        }
    }

    @Test
    void help_answersForEveryCommand() {
        for (String[] args : new String[][] {{"--help"}, {"demo", "--help"}, {"node", "--help"}}) {
            java.io.StringWriter text = new java.io.StringWriter();
            picocli.CommandLine cl = SatchelCommand.commandLine();
            cl.setOut(new java.io.PrintWriter(text));
            assertThat(cl.execute(args)).isZero();
            assertThat(text.toString()).contains("Usage: satchel");
        }
    }

    @Test
    void unknownStore_isRefusedWithAReason() {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = SatchelCommand.commandLine();
        cl.setErr(new java.io.PrintWriter(err));
        assertThat(cl.execute("demo", "--store", "floppy")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown --store 'floppy'");
    }
}
