package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Three {@code satchel node} processes of the primary-backup store as three hosts: each in its own
 * network namespace with its own address, started with the documented flags only. They form one
 * view, keep it with no suspicion, share the users database, and notice a SIGKILLed member by
 * failure detection. Before {@code --host} reached failure detection and H2, the view split at
 * start-up, peers suspected each other every few seconds, and the users database was unreachable
 * from the other hosts. About a minute.
 */
class MultiHostClusterIT {
    private static final int HOSTS = 3;
    /** JGroups' words when a member is suspected, at the levels multihost-logback.xml sets. */
    private static final Pattern SUSPICION = Pattern.compile("(?i)suspecting|broadcasting suspect|verifying that");

    @Test
    void threeHostsFormOneViewShareTheUsersAndNoticeAKill() throws Exception {
        Optional<String> why = NamespaceNetwork.unavailableBecause();
        assumeTrue(why.isEmpty(), () -> "network namespaces are not available (needs root and iproute2): " + why.get());
        Path data = Files.createTempDirectory("satchel-multihost");
        try (NamespaceNetwork net = NamespaceNetwork.create(HOSTS)) {
            NamespaceNodes cluster = new NamespaceNodes(net, HOSTS, data, "primary-backup");
            List<Process> nodes = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 1; i <= HOSTS; i++) {
                nodes.add(cluster.start(i));
            }

            // Returns only once every node reports the same view id with all three members.
            List<JsonNode> formed = cluster.awaitViews(List.of(1, 2, 3), false, Duration.ofSeconds(90));
            long formedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            String viewId = formed.get(0).path("id").asText();

            for (int i = 1; i <= HOSTS; i++) {
                assertThat(listeningOn(net, i, NamespaceNodes.CLUSTER_PORT + 100))
                        .as("failure detection listens on host %d's address, not on every one", i)
                        .containsExactly(net.address(i));
            }

            // The users: signed up on one host, known on the others, through the one H2 server.
            String user = "{\"username\":\"wanda\",\"password\":\"a long enough phrase\"}";
            assertThat(post(cluster.uri(1, "/api/signup"), user).statusCode()).isEqualTo(201);
            for (int i = 2; i <= HOSTS; i++) {
                HttpResponse<String> login = post(cluster.uri(i, "/api/login"), user);
                assertThat(login.statusCode())
                        .as("login on host %d: %s", i, login.body())
                        .isEqualTo(200);
            }
            String wrong = "{\"username\":\"wanda\",\"password\":\"not the right phrase\"}";
            assertThat(post(cluster.uri(HOSTS, "/api/login"), wrong).statusCode())
                    .as("the same database refuses a wrong password")
                    .isEqualTo(401);
            Properties lock = new Properties();
            lock.load(new StringReader(Files.readString(data.resolve("users.lock.db"))));
            assertThat(lock.getProperty("server"))
                    .as("H2 announces a host's address, not a loopback one")
                    .startsWith(net.address(1).substring(0, net.address(1).lastIndexOf('.') + 1))
                    .endsWith(":" + NamespaceNodes.USERS_DB_PORT);

            // The view holds for 30 s after it formed: every node keeps it, nobody is suspected.
            long holdUntil = started + TimeUnit.MILLISECONDS.toNanos(formedMillis) + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < holdUntil) {
                for (int i = 1; i <= HOSTS; i++) {
                    assertThat(cluster.health(i).path("view").path("id").asText())
                            .as("host %d keeps the view", i)
                            .isEqualTo(viewId);
                }
                Thread.sleep(1000);
            }
            for (int i = 1; i <= HOSTS; i++) {
                assertThat(suspicions(cluster, i))
                        .as("suspicions in node n%d's log", i)
                        .isEmpty();
            }

            // A SIGKILL closes the dead node's sockets; failure detection, not the heartbeat
            // timeout, must be what tells the others.
            long killed = System.nanoTime();
            nodes.get(HOSTS - 1).destroyForcibly();
            cluster.awaitViews(List.of(1, 2), false, Duration.ofSeconds(30));
            long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            List<String> detected = new ArrayList<>();
            for (int i = 1; i < HOSTS; i++) {
                Files.readAllLines(cluster.log(i)).stream()
                        .filter(l -> l.contains("FD_SOCK2") && l.contains("broadcasting suspect([n" + HOSTS + "])"))
                        .forEach(detected::add);
            }
            assertThat(detected)
                    .as("failure detection suspected the killed node")
                    .isNotEmpty();
            System.out.printf(
                    "multi-host: view of %d formed %d ms after the nodes were started; a SIGKILL was noticed"
                            + " (new view on both survivors) within %d ms%n",
                    HOSTS, formedMillis, noticedMillis);
        }
    }

    /** The addresses a socket in host {@code host} listens on {@code port} at, as {@code ss} shows them. */
    private static List<String> listeningOn(NamespaceNetwork net, int host, int port) {
        List<String> addresses = new ArrayList<>();
        for (String line : net.run(host, "ss", "-Hltn").split("\n")) {
            String[] columns = line.strip().split("\\s+");
            if (columns.length >= 4 && columns[3].endsWith(":" + port)) {
                String local = columns[3].substring(0, columns[3].lastIndexOf(':'));
                addresses.add(local.replace("[::ffff:", "").replace("[", "").replace("]", ""));
            }
        }
        return addresses;
    }

    private static List<String> suspicions(NamespaceNodes cluster, int host) throws IOException {
        return Files.readAllLines(cluster.log(host)).stream()
                .filter(l -> SUSPICION.matcher(l).find())
                .toList();
    }

    private static HttpResponse<String> post(URI uri, String body) throws Exception {
        return NamespaceNodes.HTTP.send(
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(20))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
