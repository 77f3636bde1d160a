package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testkit.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code satchel demo} as a user runs it: the packaged jar, the balancer and three shop nodes, each
 * its own JVM, killed for real with SIGKILL through the admin API. One subclass per store; the
 * scenario is the same, only what a node's death costs differs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DemoClusterScenario {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    static Process demo;
    private static int port;
    private static int adminPort;
    private static String adminToken;
    static int basePort;
    static Path dataDir;
    private static final java.util.concurrent.atomic.AtomicInteger SCENARIOS =
            new java.util.concurrent.atomic.AtomicInteger();
    static final List<String> demoOut = java.util.Collections.synchronizedList(new ArrayList<>());

    /** The demo's --store value. */
    abstract String store();

    /** Whether a user's session outlives the SIGKILL of the node that served it. */
    abstract boolean sessionsSurviveANodeKill();

    @BeforeAll
    void startDemo() throws Exception {
        // Nodes on base..base+2, their cluster traffic on base+100..+102 (ClusterSupervisor), the
        // balancer on base+3 and base+4: all below the kernel's ephemeral range, where no outgoing
        // connection of the demo's own can take one of them before the balancer binds it.
        demoOut.clear(); // static, and so shared with the scenario classes that ran before in this JVM
        basePort = freeRun();
        port = basePort + 3;
        adminPort = basePort + 4;
        Path data = Files.createTempDirectory("satchel-cluster-it");
        demo = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        Path.of("target", "satchel.jar").toString(),
                        "demo",
                        "--port",
                        Integer.toString(port),
                        "--admin-port",
                        Integer.toString(adminPort),
                        "--base-port",
                        Integer.toString(basePort),
                        "--data-dir",
                        data.toString(),
                        "--store",
                        store(),
                        "--policy",
                        policy())
                .redirectError(data.resolve("demo.err").toFile())
                .start();
        dataDir = data;
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    demoOut.add(line);
                }
            } catch (IOException ignored) {
                // the demo ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            Await.until(
                    Duration.ofSeconds(120),
                    () -> {
                        for (String line = lines.poll(); line != null; line = lines.poll()) {
                            if (line.contains("Satchel demo is serving")) {
                                return true;
                            }
                        }
                        if (!demo.isAlive()) {
                            throw new IllegalStateException("the demo exited early with " + demo.exitValue());
                        }
                        return false;
                    },
                    "the demo to start");
        } catch (AssertionError | IllegalStateException e) {
            throw new AssertionError(e.getMessage() + "\n" + whatTheDemoSaid(), e);
        }
        // The demo wrote a token for this run; a script reads it as the printed lines do.
        adminToken = Files.readString(data.resolve("admin-token")).strip();
    }

    @AfterAll
    void stopDemo() throws Exception {
        demo.destroy(); // SIGTERM, as Ctrl-C
        assertThat(demo.waitFor(30, TimeUnit.SECONDS))
                .as("the demo stops on SIGTERM")
                .isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(isListening(basePort + i))
                    .as("node on port %d stopped with the demo", basePort + i)
                    .isFalse();
            assertThat(isListening(basePort + 100 + i))
                    .as("cluster port %d closed with the demo", basePort + 100 + i)
                    .isFalse();
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** The balancer's port, its admin port, and this run's admin token, for a subclass's own test. */
    static int port() {
        return port;
    }

    static int adminPort() {
        return adminPort;
    }

    static String adminToken() {
        return adminToken;
    }

    /** What the demo has printed so far, for a subclass that checks a store-specific line. */
    static List<String> demoOutput() {
        return List.copyOf(demoOut);
    }

    /** The demo's standard error and the tail of each node's log, for a failure's message. */
    static String whatTheDemoSaid() throws IOException {
        StringBuilder said = new StringBuilder("--- demo stdout:\n");
        demoOut.forEach(l -> said.append(l).append('\n'));
        said.append("--- demo stderr:\n");
        said.append(Files.readString(dataDir.resolve("demo.err")));
        Path logs = dataDir.resolve("logs");
        if (Files.isDirectory(logs)) {
            try (var files = Files.list(logs)) {
                for (Path log : files.sorted().toList()) {
                    List<String> lines = Files.readAllLines(log);
                    said.append("--- ").append(log.getFileName()).append(" (last 60 lines):\n");
                    lines.subList(Math.max(0, lines.size() - 60), lines.size())
                            .forEach(l -> said.append(l).append('\n'));
                }
            }
        }
        return said.toString();
    }

    private static int freeRun() {
        // Each scenario class in this JVM starts further on, so it never reuses the ports of the
        // demo that just stopped, whose processes may still be letting go of them.
        int start = 20000 + (int) (ProcessHandle.current().pid() % 8000) + 211 * SCENARIOS.getAndIncrement();
        for (int base = start; base < 32000; base += 7) {
            int candidate = base;
            boolean free = java.util.stream.IntStream.concat(
                            java.util.stream.IntStream.range(candidate, candidate + 5),
                            java.util.stream.IntStream.concat(
                                    // cluster ports, and failure detection's at cluster port + 100
                                    java.util.stream.IntStream.range(candidate + 100, candidate + 103),
                                    java.util.stream.IntStream.range(candidate + 200, candidate + 203)))
                    .allMatch(DemoClusterScenario::isFree);
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no free run of ports from " + start);
    }

    private static boolean isFree(int p) {
        if (isListening(p)) {
            return false;
        }
        try (ServerSocket s = new ServerSocket(p)) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static boolean isListening(int p) {
        try (Socket s = new Socket("127.0.0.1", p)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A browser-like client: keeps every cookie the balancer or a node sets. */
    static final class Client {
        final java.util.Map<String, String> cookies = new java.util.LinkedHashMap<>();

        HttpResponse<String> send(String method, String path, String body) throws Exception {
            return sendTo(port, method, path, body);
        }

        /** As {@link #send}, to {@code target}: the balancer's port, or a node's own. */
        HttpResponse<String> sendTo(int target, String method, String path, String body) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target + path))
                    .timeout(Duration.ofSeconds(10))
                    .method(
                            method,
                            body == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            if (!cookies.isEmpty()) {
                b.header(
                        "Cookie",
                        String.join(
                                "; ",
                                cookies.entrySet().stream()
                                        .map(e -> e.getKey() + "=" + e.getValue())
                                        .toList()));
            }
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            r.headers().allValues("Set-Cookie").forEach(h -> {
                String pair = h.substring(0, h.indexOf(';'));
                String name = pair.substring(0, pair.indexOf('='));
                String value = pair.substring(pair.indexOf('=') + 1);
                if (value.isEmpty()) {
                    cookies.remove(name);
                } else {
                    cookies.put(name, value);
                }
            });
            return r;
        }

        String servedBy(HttpResponse<?> r) {
            return r.headers().firstValue("X-Served-By").orElseThrow();
        }
    }

    private static JsonNode admin(String method, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .header("Authorization", "Bearer " + adminToken)
                        .header("Content-Type", "application/json")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    static String state(String node) throws Exception {
        for (JsonNode n : admin("GET", "/api/nodes").path("nodes")) {
            if (n.path("name").asText().equals(node)) {
                return n.path("state").asText();
            }
        }
        throw new AssertionError("no node " + node);
    }

    private static long totalRequests() throws Exception {
        long total = 0;
        for (JsonNode n : admin("GET", "/api/nodes").path("nodes")) {
            total += n.path("requests").asLong();
        }
        return total;
    }

    static void awaitState(String node, String expected) {
        Await.until(Duration.ofSeconds(30), () -> state(node), expected::equals, "state " + expected + " of " + node);
    }

    static Client loggedIn(String user) throws Exception {
        Client c = new Client();
        c.send("POST", "/api/signup", "{\"username\":\"" + user + "\",\"password\":\"a long enough phrase\"}");
        HttpResponse<String> login =
                c.send("POST", "/api/login", "{\"username\":\"" + user + "\",\"password\":\"a long enough phrase\"}");
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        return c;
    }

    // ---- the scenario ---------------------------------------------------------------------------

    @Test
    @Order(1)
    void theAdminApi_wantsTheToken_whichTheDemoKeepsPrivate_andItsCurlLinesWorkAsPrinted() throws Exception {
        HttpResponse<String> anonymous = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/nodes"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        Path tokenFile = dataDir.resolve("admin-token");
        assertThat(adminToken).hasSizeGreaterThanOrEqualTo(43); // 256 bits in base64url
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)))
                .isEqualTo("rw-------");
        List<String> curls = demoOut.stream()
                .map(String::strip)
                .filter(l -> l.startsWith("curl "))
                .toList();
        assertThat(curls).isNotEmpty().allSatisfy(l -> assertThat(l).contains("Authorization: Bearer"));
        // Run as a user pastes them, with the demo's own ports: listing works, and starting a
        // running node is refused for being running, past the token and Content-Type checks.
        String list = curls.stream()
                .filter(l -> l.contains("/api/nodes ") || l.endsWith("/api/nodes"))
                .findFirst()
                .orElseThrow();
        assertThat(shell(list)).contains("\"nodes\"", "node-1");
        String start =
                curls.stream().filter(l -> l.contains("/start")).findFirst().orElseThrow();
        assertThat(shell(start)).contains("already running");
    }

    /**
     * Two tabs of one user add different items 100 times each at once (issue 13). Where every node
     * reads the same sessions, both go through a balancer of their own with round-robin routing, a
     * {@code satchel balancer} process in front of the demo's three nodes, so the two tabs' requests
     * land on every node; elsewhere (memory) through the demo's sticky balancer. Every addition
     * counts, since the shop changes its cart by atomic update; sealed cookies cannot decide one
     * (each request carries its own copy), so there the shop sets the cart and the test only checks
     * that nothing failed.
     */
    @Test
    @Order(1)
    void parallelCartAdditions_fromTwoTabsOfOneUser_allCount() throws Exception {
        Process roundRobin = sessionsSurviveANodeKill() ? startRoundRobinBalancer() : null;
        try {
            int target = roundRobin == null ? port : roundRobinPort;
            Client first = new Client();
            assertThat(first.sendTo(target, "POST", "/api/cart/items", "{\"sku\":\"MAP-01\",\"qty\":1}")
                            .statusCode())
                    .isEqualTo(200);
            Client second = new Client();
            second.cookies.putAll(first.cookies);
            int adds = 100;
            java.util.Set<String> servedBy = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.ExecutorService tabs = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                List<java.util.concurrent.Future<?>> both = new ArrayList<>();
                for (Client tab : List.of(first, second)) {
                    String sku = tab == first ? "HAT-01" : "MUG-01";
                    both.add(tabs.submit(() -> {
                        for (int i = 0; i < adds; i++) {
                            HttpResponse<String> r = tab.sendTo(
                                    target, "POST", "/api/cart/items", "{\"sku\":\"" + sku + "\",\"qty\":1}");
                            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                            servedBy.add(tab.servedBy(r));
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> tab : both) {
                    tab.get(180, TimeUnit.SECONDS);
                }
            } finally {
                tabs.shutdownNow();
            }
            JsonNode cart =
                    JSON.readTree(first.sendTo(target, "GET", "/api/cart", null).body());
            java.util.Map<String, Integer> quantities = new java.util.HashMap<>();
            cart.path("items")
                    .forEach(line -> quantities.put(
                            line.path("sku").asText(), line.path("qty").asInt()));
            if (store().equals("cookie")) {
                assertThat(quantities)
                        .as("sealed cookies: the last writer's cart")
                        .containsKey("MAP-01");
                return;
            }
            if (roundRobin != null) {
                assertThat(servedBy)
                        .as("round-robin spread the tabs over the nodes")
                        .hasSize(3);
            }
            assertThat(quantities)
                    .as("every addition of both tabs")
                    .containsEntry("HAT-01", adds)
                    .containsEntry("MUG-01", adds)
                    .containsEntry("MAP-01", 1);
        } finally {
            if (roundRobin != null) {
                roundRobin.destroy();
                assertThat(roundRobin.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    private static int roundRobinPort;

    /** {@code satchel balancer --policy round-robin} in front of the demo's nodes; its port in {@link #roundRobinPort}. */
    private static Process startRoundRobinBalancer() throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                Path.of("target", "satchel.jar").toString(),
                "balancer",
                "--policy",
                "round-robin",
                "--port",
                "0",
                "--admin-port",
                "0"));
        for (int i = 0; i < 3; i++) {
            command.add("--node");
            command.add("node-" + (i + 1) + "=127.0.0.1:" + (basePort + i));
        }
        Process balancer = new ProcessBuilder(command)
                .redirectError(dataDir.resolve("round-robin.err").toFile())
                .start();
        try {
            awaitRoundRobinBalancer(balancer);
        } catch (Exception | AssertionError failed) {
            balancer.destroyForcibly();
            throw failed;
        }
        return balancer;
    }

    private static void awaitRoundRobinBalancer(Process balancer) throws Exception {
        BufferedReader out =
                new BufferedReader(new InputStreamReader(balancer.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine(); // "Satchel balancer (round-robin) on http://127.0.0.1:PORT, admin API on ..."
        assertThat(first)
                .as("the round-robin balancer's first line")
                .isNotNull()
                .contains("round-robin");
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("on http://[^:]+:(\\d+),").matcher(first);
        assertThat(m.find()).as(first).isTrue();
        roundRobinPort = Integer.parseInt(m.group(1));
        Thread drain = new Thread(() -> {
            try {
                out.transferTo(java.io.Writer.nullWriter());
            } catch (IOException ended) {
                // the balancer stopped
            }
        });
        drain.setDaemon(true);
        drain.start();
        // Until its first health checks, the balancer counts every node up; wait until all three
        // have answered through it, so no addition meets a node it has not checked yet.
        java.util.Set<String> seen = new java.util.HashSet<>();
        Await.until(
                Duration.ofSeconds(60),
                () -> {
                    HttpResponse<String> r = new Client().sendTo(roundRobinPort, "GET", "/api/catalog", null);
                    r.headers().firstValue("X-Served-By").ifPresent(seen::add);
                    return seen.size();
                },
                n -> n == 3,
                "the round-robin balancer to reach all three nodes");
    }

    @Test
    @Order(1)
    void nothingListensBeyondLoopback_theDatabasesWantTheirPassword_andTheDataIsPrivate() throws Exception {
        LocalExposure.assertOnlyLoopback(demo, 5); // balancer, admin API, three nodes at least
        LocalExposure.assertDatabaseWantsItsPassword(dataDir, "users");
        if (store().equals("cookie")) {
            LocalExposure.assertDatabaseWantsItsPassword(dataDir, "revocations");
        }
        LocalExposure.assertFilesPrivate(dataDir, java.util.Set.of("demo.err"));
    }

    @Test
    @Order(6)
    void aNodeThatDiesOnItsOwn_isStartedAgain_withoutAnOperator() throws Exception {
        ProcessHandle before = nodeProcess("node-3").orElseThrow();
        before.destroyForcibly(); // from outside the demo, as a crash or an exit on OutOfMemoryError
        before.onExit().get(10, TimeUnit.SECONDS);
        long started = System.nanoTime();
        java.util.Optional<ProcessHandle> after = Await.until(
                Duration.ofSeconds(60),
                () -> nodeProcess("node-3").filter(p -> p.pid() != before.pid()),
                java.util.Optional::isPresent,
                "node-3 to be started again");
        assertThat(after).as("node-3 started again\n%s", whatTheDemoSaid()).isPresent();
        // Its own /health first: until the balancer's checks have seen the gap, it may still say UP.
        int health = Await.until(
                Duration.ofSeconds(60).minusNanos(System.nanoTime() - started),
                () -> {
                    try {
                        return HTTP.send(
                                        HttpRequest.newBuilder(
                                                        URI.create("http://127.0.0.1:" + (basePort + 2) + "/health"))
                                                .timeout(Duration.ofSeconds(2))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                    } catch (IOException starting) {
                        return 0;
                    }
                },
                status -> status == 200,
                "the restarted node-3 to answer /health");
        assertThat(health)
                .as("the restarted node-3 answers /health\n%s", whatTheDemoSaid())
                .isEqualTo(200);
        assertThat(nodeProcess("node-3").map(ProcessHandle::pid)).isEqualTo(after.map(ProcessHandle::pid));
        awaitState("node-3", "UP");
        String said = String.join("\n", demoOut) + Files.readString(dataDir.resolve("demo.err"));
        assertThat(said).contains("node-3 exited on its own");
    }

    /** The live process of a node the demo started. */
    static java.util.Optional<ProcessHandle> nodeProcess(String name) {
        return demo.descendants()
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info()
                        .arguments()
                        .map(a -> String.join(" ", a))
                        .orElse("")
                        .contains("--name " + name + " "))
                .findFirst();
    }

    private static String shell(String commandLine) throws Exception {
        Process sh = new ProcessBuilder("sh", "-c", commandLine)
                .redirectErrorStream(true)
                .start();
        String output = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(sh.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    @Test
    @Order(1)
    void stickyRouting_keepsAUserOnOneNode() throws Exception {
        Client c = loggedIn("sticky");
        String home = c.servedBy(c.send("GET", "/api/me", null));
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> me = c.send("GET", "/api/me", null);
            assertThat(me.statusCode()).isEqualTo(200);
            assertThat(c.servedBy(me)).isEqualTo(home);
        }
        assertThat(c.cookies).containsKey("SID");
        if (policy().equals("sticky-cookie")) {
            assertThat(c.cookies).containsKey("SATCHEL_NODE");
        }
        if (sessionIdCarriesRoute()) {
            assertThat(c.cookies.get("SID")).endsWith("." + home);
        } else {
            assertThat(c.cookies.get("SID"))
                    .as("a sealed session")
                    .startsWith("1.")
                    .hasSizeLessThan(4096);
        }
    }

    @Test
    @Order(1)
    void withSessionHashRouting_noNodeReadsASessionFromAnother() throws Exception {
        if (!balancerRoutesToOwner()) {
            return;
        }
        List<Client> users = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Client c = loggedIn("hash-" + i);
            assertThat(c.send("POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}")
                            .statusCode())
                    .isEqualTo(200);
            users.add(c);
        }
        for (int round = 0; round < 5; round++) {
            for (Client c : users) {
                assertThat(c.send("GET", "/api/cart", null).statusCode()).isEqualTo(200);
            }
        }
        long remoteReads = 0;
        long held = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode store = JSON.readTree(HTTP.send(
                                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (basePort + i) + "/health"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body())
                    .path("store");
            assertThat(store.has("remote_reads"))
                    .as("node %d reports its hops: %s", i, store)
                    .isTrue();
            remoteReads += store.path("remote_reads").asLong();
            held += store.path("sessions_held").asLong();
        }
        assertThat(held).as("session copies held by the three nodes").isGreaterThanOrEqualTo(12);
        assertThat(remoteReads)
                .as("reads a node fetched from the session's owner: the balancer ranks as the store does")
                .isZero();
    }

    /** Whether the balancer sends each session's requests to the node that owns it in the store. */
    boolean balancerRoutesToOwner() {
        return false;
    }

    /** The balancer's policy for this store. */
    String policy() {
        return "sticky-cookie";
    }

    /** Whether the session cookie is an id with the node's route appended (not a sealed session). */
    boolean sessionIdCarriesRoute() {
        return true;
    }

    @Test
    @Order(2)
    void sigkillOfAUsersNode_redispatchesThem_andTheNodeComesBack() throws Exception {
        Client c = loggedIn("victim");
        String home = c.servedBy(c.send("GET", "/api/me", null));
        int homePort = basePort + Integer.parseInt(home.substring("node-".length())) - 1;
        assertThat(admin("POST", "/api/nodes/" + home + "/kill").path("action").asText())
                .isEqualTo("kill");
        Await.until(Duration.ofSeconds(10), () -> !isListening(homePort), "the killed node's port to close");

        HttpResponse<String> after = c.send("GET", "/api/me", null);
        String newHome = c.servedBy(after);
        assertThat(newHome).isNotEqualTo(home);
        if (sessionsSurviveANodeKill()) {
            assertThat(after.statusCode())
                    .as("the session lives in the store, not the node")
                    .isEqualTo(200);
            assertThat(JSON.readTree(after.body()).path("username").asText()).isEqualTo("victim");
        } else {
            assertThat(after.statusCode())
                    .as("the memory store died with its node: the session is gone")
                    .isEqualTo(401);
        }
        if (policy().equals("sticky-cookie")) {
            assertThat(c.cookies.get("SATCHEL_NODE")).startsWith(newHome + ".");
        }
        for (int i = 0; i < 5; i++) {
            assertThat(c.servedBy(c.send("GET", "/api/catalog", null))).isEqualTo(newHome);
        }
        awaitState(home, "DOWN");
        long redispatched = 0;
        for (JsonNode n : admin("GET", "/api/nodes").path("nodes")) {
            redispatched += n.path("redispatches").asLong();
        }
        if (policy().equals("sticky-cookie")) {
            assertThat(redispatched)
                    .as("one redispatch, then the client is re-pinned")
                    .isEqualTo(1);
        } else {
            // A hash has no pin to move: every request that ranked the dead node first until the
            // balancer marked it down was redispatched, none failed.
            assertThat(redispatched)
                    .as("requests redispatched away from the dead node")
                    .isBetween(1L, 6L);
        }

        admin("POST", "/api/nodes/" + home + "/start");
        awaitState(home, "UP");
    }

    @Test
    @Order(5)
    void acknowledgedCartWrites_surviveAKill_andTheRestartedNodeServesThem() throws Exception {
        List<Client> clients = new ArrayList<>();
        for (int u = 0; u < 6; u++) {
            clients.add(loggedIn("shopper" + u));
        }
        int[] acknowledged = new int[clients.size()];
        for (int round = 0; round < 4; round++) {
            for (int u = 0; u < clients.size(); u++) {
                HttpResponse<String> r =
                        clients.get(u).send("POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}");
                if (r.statusCode() == 200) {
                    acknowledged[u]++;
                }
            }
        }
        List<String> homes = new ArrayList<>();
        for (Client c : clients) {
            homes.add(c.servedBy(c.send("GET", "/api/me", null)));
        }
        String victim = homes.get(0);
        int victimPort = basePort + Integer.parseInt(victim.substring("node-".length())) - 1;
        admin("POST", "/api/nodes/" + victim + "/kill");
        Await.until(Duration.ofSeconds(10), () -> !isListening(victimPort), "the killed node's port to close");
        for (int u = 0; u < clients.size(); u++) {
            HttpResponse<String> cart = clients.get(u).send("GET", "/api/cart", null);
            assertThat(cart.statusCode()).isEqualTo(200);
            // With memory, the sessions that lived on the killed node are gone: that is its cost.
            int expected = sessionsSurviveANodeKill() || !homes.get(u).equals(victim) ? acknowledged[u] : 0;
            assertThat(quantityOf(cart.body(), "HAT-01"))
                    .as("shopper%d's acknowledged items after %s died", u, victim)
                    .isEqualTo(expected);
        }
        awaitState(victim, "DOWN");
        admin("POST", "/api/nodes/" + victim + "/start");
        awaitState(victim, "UP");
        // Straight to the restarted node, past the balancer: it serves every session again.
        for (int u = 0; u < clients.size(); u++) {
            HttpResponse<String> direct = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + victimPort + "/api/cart"))
                            .header("Cookie", "SID=" + clients.get(u).cookies.get("SID"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(direct.statusCode()).isEqualTo(200);
            assertThat(quantityOf(direct.body(), "HAT-01"))
                    .as("shopper%d's cart on the restarted %s", u, victim)
                    .isEqualTo(sessionsSurviveANodeKill() ? acknowledged[u] : 0);
        }
    }

    private static int quantityOf(String cartJson, String sku) throws IOException {
        for (JsonNode item : JSON.readTree(cartJson).path("items")) {
            if (item.path("sku").asText().equals(sku)) {
                return item.path("qty").asInt();
            }
        }
        return 0;
    }

    @Test
    @Order(3)
    void drain_keepsPinnedUsers_andSendsNewOnesElsewhere() throws Exception {
        Client pinned = loggedIn("drained");
        String home = pinned.servedBy(pinned.send("GET", "/api/me", null));
        assertThat(admin("POST", "/api/nodes/" + home + "/drain").path("state").asText())
                .isEqualTo("DRAINING");
        try {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> me = pinned.send("GET", "/api/me", null);
                assertThat(me.statusCode()).isEqualTo(200);
                assertThat(pinned.servedBy(me)).isEqualTo(home);
            }
            List<String> newcomers = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                newcomers.add(new Client().servedBy(new Client().send("GET", "/api/catalog", null)));
            }
            assertThat(newcomers).doesNotContain(home);
        } finally {
            admin("POST", "/api/nodes/" + home + "/enable");
        }
    }

    @Test
    @Order(4)
    void malformedRequests_get400_andNeverReachANode() throws Exception {
        long before = totalRequests();
        for (String attack : List.of(
                "POST /api/cart/items HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX",
                "POST /api/cart/items HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "POST /api/cart/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n",
                "NOT A REQUEST LINE\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(attack.getBytes(StandardCharsets.ISO_8859_1));
                String status = new BufferedReader(
                                new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1))
                        .readLine();
                assertThat(status)
                        .as(attack.substring(0, Math.min(30, attack.length())))
                        .matches("HTTP/1\\.1 4(00|31) .*");
            }
        }
        assertThat(totalRequests()).as("no malformed request reached a node").isEqualTo(before);
    }
}
