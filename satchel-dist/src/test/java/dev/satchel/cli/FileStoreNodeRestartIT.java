package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testkit.Await;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code satchel node --store file:DIR}, the real command in its own process: a shopper's login and
 * cart survive the node being killed with SIGKILL and started again on the same folder, as a sticky
 * node's sessions survive a deploy. With memory they would not.
 */
class FileStoreNodeRestartIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Process node(int port, Path data, Path sessions) throws Exception {
        return new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        Path.of("target", "satchel.jar").toString(),
                        "node",
                        "--name",
                        "node-1",
                        "--port",
                        Integer.toString(port),
                        "--data-dir",
                        data.toString(),
                        "--store",
                        "file:" + sessions)
                .redirectOutput(data.resolve("node.out").toFile())
                .redirectError(data.resolve("node.err").toFile())
                .start();
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int hats(HttpResponse<String> cart) throws Exception {
        for (JsonNode item : JSON.readTree(cart.body()).path("items")) {
            if (item.path("sku").asText().equals("HAT-01")) {
                return item.path("qty").asInt();
            }
        }
        return 0;
    }

    @Test
    void aKilledNode_startedAgainOnItsFolder_servesItsShoppersAsBefore() throws Exception {
        Path data = Files.createTempDirectory("satchel-file-node");
        Path sessions = data.resolve("sessions");
        int port = freePort();
        Process first = node(port, data, sessions);
        try {
            Await.until(Duration.ofSeconds(60), () -> listening(port), "the node to listen");
            DemoClusterScenario.Client shopper = new DemoClusterScenario.Client();
            String credentials = "{\"username\":\"filer\",\"password\":\"a long enough phrase\"}";
            shopper.sendTo(port, "POST", "/api/signup", credentials);
            assertThat(shopper.sendTo(port, "POST", "/api/login", credentials).statusCode())
                    .isEqualTo(200);
            for (int i = 0; i < 3; i++) {
                assertThat(shopper.sendTo(port, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}")
                                .statusCode())
                        .isEqualTo(200);
            }
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
            assertThat(first.waitFor() != 0).isTrue();
            Await.until(Duration.ofSeconds(10), () -> !listening(port), "the port to close");

            Process second = node(port, data, sessions);
            try {
                Await.until(Duration.ofSeconds(60), () -> listening(port), "the node to listen again");
                HttpResponse<String> me = shopper.sendTo(port, "GET", "/api/me", null);
                assertThat(me.statusCode()).as("still signed in: %s", me.body()).isEqualTo(200);
                assertThat(JSON.readTree(me.body()).path("username").asText()).isEqualTo("filer");
                assertThat(hats(shopper.sendTo(port, "GET", "/api/cart", null))).isEqualTo(3);
                assertThat(Files.readString(data.resolve("node.out"))).contains("store: file:");
            } finally {
                second.destroyForcibly();
                second.waitFor();
            }
        } finally {
            first.destroyForcibly();
        }
    }
}
