package dev.satchel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testkit.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code satchel node} processes of one cluster store as the hosts of a {@link NamespaceNetwork}:
 * host {@code i} runs node {@code n<i>} on its own address, started with the documented flags
 * only, logging to {@code n<i>.log} in the shared data directory. Shared by the tests that run a
 * cluster across hosts, so they start nodes and read their views the same way.
 */
final class NamespaceNodes {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final int HTTP_PORT = 9001;
    static final int CLUSTER_PORT = 7800;
    static final int USERS_DB_PORT = 9092;

    private final NamespaceNetwork net;
    private final Path data;
    private final String store;
    private final String peers;

    /** Nodes of {@code store} on every host of {@code net}, sharing {@code data} (users, logs). */
    NamespaceNodes(NamespaceNetwork net, int hosts, Path data, String store) {
        this.net = net;
        this.data = data;
        this.store = store;
        this.peers = String.join(
                ",",
                IntStream.rangeClosed(1, hosts)
                        .mapToObj(i -> net.address(i) + "[" + CLUSTER_PORT + "]")
                        .toList());
    }

    /** Starts node {@code n<host>} inside its host; {@link NamespaceNetwork#close()} kills it. */
    Process start(int host) {
        Path logback =
                Path.of("target", "test-classes", "multihost-logback.xml").toAbsolutePath();
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-Dlogback.configurationFile=" + logback,
                "-jar",
                Path.of("target", "satchel.jar").toAbsolutePath().toString(),
                "node",
                "--name",
                name(host),
                "--host",
                net.address(host),
                "--port",
                Integer.toString(HTTP_PORT),
                "--store",
                store,
                "--cluster-port",
                Integer.toString(CLUSTER_PORT),
                "--cluster-peers",
                peers,
                "--cluster-keystore",
                keystore().toString(),
                "--data-dir",
                data.toString(),
                "--users-db-port",
                Integer.toString(USERS_DB_PORT),
                "--parent-pid",
                Long.toString(ProcessHandle.current().pid()));
        return net.start(
                host, command, log(host), java.util.Map.of(NodeCommand.KEYSTORE_PASSWORD_VARIABLE, KEYSTORE_PASSWORD));
    }

    private static final String KEYSTORE_PASSWORD = "multihost-secret";

    /** One key the nodes share, so their copies cross the hosts' network over TLS, as in production. */
    private synchronized Path keystore() {
        Path file = data.resolve("cluster.p12");
        if (!java.nio.file.Files.exists(file)) {
            dev.satchel.cluster.ClusterKeystore.generate(file, KEYSTORE_PASSWORD.toCharArray(), 2);
        }
        return file;
    }

    static String name(int host) {
        return "n" + host;
    }

    /** {@code http://<host's address>:<HTTP_PORT><path>}: a node directly, past any balancer. */
    URI uri(int host, String path) {
        return URI.create("http://" + net.address(host) + ":" + HTTP_PORT + path);
    }

    /** The {@code HOST:PORT} a balancer reaches node {@code host} at. */
    String authority(int host) {
        return net.address(host) + ":" + HTTP_PORT;
    }

    Path log(int host) {
        return data.resolve(name(host) + ".log");
    }

    /** The node's {@code /health} body, whatever its status (503 while not ready). */
    JsonNode health(int host) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(uri(host, "/health"))
                        .timeout(Duration.ofSeconds(2))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /**
     * Waits until every one of {@code hosts} reports a view of exactly those nodes, all with one
     * view id, and, if {@code ready}, each saying it is ready; returns the views. Fails with the
     * nodes' logs if that does not happen within {@code limit}.
     */
    List<JsonNode> awaitViews(List<Integer> hosts, boolean ready, Duration limit) throws Exception {
        List<String> expected =
                hosts.stream().map(NamespaceNodes::name).sorted().toList();
        try {
            return Await.until(
                            limit,
                            () -> views(hosts, ready, expected),
                            Views::agree,
                            (ready ? "a ready " : "a ") + "view of " + expected + " on every node")
                    .matching();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + logTails(hosts, 40), e);
        }
    }

    /** What each host said of its view: those that match, and every answer for a failure's message. */
    private record Views(List<JsonNode> matching, int hosts, List<String> seen) {
        boolean agree() {
            return matching.size() == hosts
                    && matching.stream()
                                    .map(v -> v.path("id").asText())
                                    .distinct()
                                    .count()
                            == 1;
        }

        @Override
        public String toString() {
            return seen.toString();
        }
    }

    private Views views(List<Integer> hosts, boolean ready, List<String> expected) throws Exception {
        List<JsonNode> matching = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (int i : hosts) {
            try {
                JsonNode view = health(i).path("view");
                seen.add(name(i) + ": " + view);
                List<String> members = new ArrayList<>();
                view.path("members").forEach(m -> members.add(m.asText()));
                if (members.stream().sorted().toList().equals(expected)
                        && (!ready || view.path("ready").asBoolean())) {
                    matching.add(view);
                }
            } catch (IOException notYet) {
                seen.add(name(i) + ": " + notYet);
            }
        }
        return new Views(matching, hosts.size(), seen);
    }

    /** The last {@code lines} lines of each host's node log, for a failure's message. */
    String logTails(List<Integer> hosts, int lines) throws IOException {
        StringBuilder said = new StringBuilder();
        for (int i : hosts) {
            List<String> all = Files.readAllLines(log(i));
            said.append("--- ").append(name(i)).append(" (last ").append(lines).append(" lines):\n");
            all.subList(Math.max(0, all.size() - lines), all.size())
                    .forEach(l -> said.append(l).append('\n'));
        }
        return said.toString();
    }
}
