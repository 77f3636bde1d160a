package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.testkit.Await;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The save links, on real nodes over real sockets on loopback with Satchel's TCP stack: a
 * synchronous save goes on the saving node's own link to each replica's link port (the cluster
 * port + 200), and its answer comes back there; saves of one session racing on four threads leave
 * every replica with every save; a node without a link port (an older version) still gets and
 * answers every save through JGroups; TLS guards the link port as it guards the cluster port; and
 * a client that is not a peer (silent, slow, speaking another protocol, taking a link's name,
 * saving without being a member, or many at once) is dropped or refused without harm to the
 * nodes' saves.
 */
class AnswerLinksIT {
    private static final char[] PASSWORD = "cluster-secret".toCharArray();

    private final String cluster = "satchel-links-" + UUID.randomUUID();

    @TempDir
    Path dir;

    @Test
    void primaryBackupSaves_areAnsweredOnTheLinks_andRacingSavesOfOneSessionLeaveEqualCopies() throws Exception {
        int[] ports = freePorts(3);
        String peers = peers(ports);
        try (PrimaryBackupSessionStore a = withAnswerLinks(
                        () -> primaryBackup("a", ports[0], peers).plaintext().build());
                PrimaryBackupSessionStore b = withAnswerLinks(
                        () -> primaryBackup("b", ports[1], peers).plaintext().build());
                PrimaryBackupSessionStore c = withAnswerLinks(
                        () -> primaryBackup("c", ports[2], peers).plaintext().build())) {
            List<PrimaryBackupSessionStore> nodes = List.of(a, b, c);
            nodes.forEach(n -> CopiesAgreeIT.awaitView(n::members, 3));
            List<SessionId> ids = new ArrayList<>();
            awaitAnswersOnLinks(a, () -> {
                SessionId id = SessionId.random();
                ids.add(id);
                a.save(created(id));
            });
            for (int i = 0; i < 30; i++) {
                SessionId id = SessionId.random();
                ids.add(id);
                a.save(created(id));
            }
            for (SessionId id : ids) {
                assertThat(nodes.stream().filter(n -> n.heldCopy(id).isPresent()))
                        .as("nodes holding a copy of %s", id)
                        .hasSize(2);
            }

            SessionId raced = ids.get(0);
            String owner = dev.satchel.core.placement.Rendezvous.owner(raced.value(), List.of("a", "b", "c"))
                    .orElseThrow();
            PrimaryBackupSessionStore saving = nodes.get(owner.charAt(0) - 'a');
            long before = saving.counters().get("answers_on_links");
            race(raced, saving);
            assertThat(saving.counters().get("answers_on_links") - before)
                    .as("answers to the 180 racing saves read on links (the rest came while the pool grew)")
                    .isGreaterThanOrEqualTo(90);
            List<Map<String, String>> copies = nodes.stream()
                    .map(n -> n.heldCopy(raced))
                    .flatMap(Optional::stream)
                    .map(AnswerLinksIT::attributes)
                    .toList();
            assertThat(copies).as("the replicas' copies").hasSize(2);
            assertThat(copies.get(0))
                    .as("every racing save, on each replica, and the one they all set")
                    .hasSize(181);
            assertThat(copies.get(1)).isEqualTo(copies.get(0));
        }
    }

    @Test
    void replicatedSaves_areAnsweredOnTheLinks_andRacingSavesLeaveEveryNodeTheSameCopy() throws Exception {
        int[] ports = freePorts(3);
        String peers = peers(ports);
        try (ReplicatedSessionStore a = withAnswerLinks(
                        () -> replicated("a", ports[0], peers).plaintext().build());
                ReplicatedSessionStore b = withAnswerLinks(
                        () -> replicated("b", ports[1], peers).plaintext().build());
                ReplicatedSessionStore c = withAnswerLinks(
                        () -> replicated("c", ports[2], peers).plaintext().build())) {
            List<ReplicatedSessionStore> nodes = List.of(a, b, c);
            nodes.forEach(n -> CopiesAgreeIT.awaitView(n::members, 3));
            SessionId id = SessionId.random();
            a.save(created(id));
            awaitAnswersOnLinks(b, () -> b.save(created(SessionId.random())));
            long before = b.counters().get("answers_on_links");
            race(id, b);
            assertThat(b.counters().get("answers_on_links") - before)
                    .as("answers b read on its links, of the 360 to the 180 racing saves (two each)")
                    .isGreaterThanOrEqualTo(150);
            Map<String, String> first = attributes(a.load(id).orElseThrow());
            assertThat(first)
                    .as("every racing save, on a, and the one they all set")
                    .hasSize(181);
            assertThat(attributes(b.load(id).orElseThrow())).isEqualTo(first);
            assertThat(attributes(c.load(id).orElseThrow())).isEqualTo(first);
        }
    }

    @Test
    void aNodeWithoutAnAnswerPort_stillGetsAndAnswersEverySave_throughJGroups() throws Exception {
        int[] ports = freePorts(3);
        String peers = peers(ports);
        try (PrimaryBackupSessionStore a = withAnswerLinks(
                        () -> primaryBackup("a", ports[0], peers).plaintext().build());
                PrimaryBackupSessionStore b = withAnswerLinks(
                        () -> primaryBackup("b", ports[1], peers).plaintext().build());
                PrimaryBackupSessionStore c = withoutAnswerPort(
                        () -> primaryBackup("c", ports[2], peers).plaintext().build())) {
            List<PrimaryBackupSessionStore> nodes = List.of(a, b, c);
            nodes.forEach(n -> CopiesAgreeIT.awaitView(n::members, 3));
            int onC = 0;
            int toB = 0;
            long before = a.counters().get("answers_on_links");
            for (int i = 0; i < 40; i++) {
                SessionId id = SessionId.random();
                a.save(created(id));
                if (c.heldCopy(id).isPresent()) {
                    onC++;
                }
                if (b.heldCopy(id).isPresent()) {
                    toB++;
                }
                assertThat(nodes.stream().filter(n -> n.heldCopy(id).isPresent()))
                        .as("nodes holding a copy of %s", id)
                        .hasSize(2);
            }
            assertThat(onC)
                    .as("sessions of a with a copy on c, the node of an older version")
                    .isPositive();
            assertThat(a.counters().get("answers_on_links") - before)
                    .as("answers a read on links: from b at most, never from c")
                    .isLessThanOrEqualTo(toB);
        }
    }

    @Test
    void overTls_savesAreAnsweredOnTheLinks_andTheAnswerPortTakesOnlyACertificateOfTheCluster() throws Exception {
        ClusterTls tls =
                ClusterTls.fromKeystore(ClusterKeystore.generate(dir.resolve("shared.p12"), PASSWORD, 2), PASSWORD);
        int[] ports = freePorts(2);
        String peers = peers(ports);
        try (PrimaryBackupSessionStore a = withAnswerLinks(
                        () -> primaryBackup("a", ports[0], peers).tls(tls).build());
                PrimaryBackupSessionStore b = withAnswerLinks(
                        () -> primaryBackup("b", ports[1], peers).tls(tls).build())) {
            CopiesAgreeIT.awaitView(a::members, 2);
            CopiesAgreeIT.awaitView(b::members, 2);
            SessionId id = SessionId.random();
            a.save(created(id));
            assertThat(b.heldCopy(id)).as("b's copy, sent over TLS").isPresent();
            awaitAnswersOnLinks(a, () -> a.save(created(SessionId.random())));

            InetSocketAddress answerPort = new InetSocketAddress("127.0.0.1", ports[1] + AnswerLinkServer.PORT_OFFSET);
            SSLContext trustingAnyone = LoopbackTcp.trustingAnyone();
            try (SSLSocket s = (SSLSocket) trustingAnyone.getSocketFactory().createSocket()) {
                s.connect(answerPort, 2_000);
                s.setSoTimeout(5_000);
                assertThatThrownBy(() -> {
                            s.startHandshake();
                            greet(new DataOutputStream(s.getOutputStream()), 1, 2, 3);
                            if (s.getInputStream().read() < 0) {
                                throw new IOException("closed without a word");
                            }
                        })
                        .as("a client without a certificate")
                        .isInstanceOf(IOException.class);
            }
            try (Socket plain = new Socket()) {
                plain.connect(answerPort, 2_000);
                plain.setSoTimeout(5_000);
                greet(new DataOutputStream(plain.getOutputStream()), 1, 2, 3);
                byte[] answer = plain.getInputStream().readNBytes(1);
                assertThat(answer.length == 0 || answer[0] == 0x15)
                        .as("a plain client gets nothing, or a TLS alert record (0x15)")
                        .isTrue();
            } catch (IOException reset) {
                // reset by the server: also not an answer
            }
            SessionId after = SessionId.random();
            a.save(created(after));
            assertThat(b.heldCopy(after))
                    .as("b's copy of a save made after the strangers")
                    .isPresent();
        }
    }

    @Test
    void clientsThatAreNotPeers_areDropped_andTheNodesSavesGoOn() throws Exception {
        int[] ports = freePorts(2);
        String peers = peers(ports);
        try (PrimaryBackupSessionStore a = withAnswerLinks(
                        () -> primaryBackup("a", ports[0], peers).plaintext().build());
                PrimaryBackupSessionStore b = withAnswerLinks(
                        () -> primaryBackup("b", ports[1], peers).plaintext().build())) {
            CopiesAgreeIT.awaitView(a::members, 2);
            CopiesAgreeIT.awaitView(b::members, 2);
            InetSocketAddress answerPort = new InetSocketAddress("127.0.0.1", ports[1] + AnswerLinkServer.PORT_OFFSET);

            try (Socket wrongMagic = connect(answerPort)) {
                new DataOutputStream(wrongMagic.getOutputStream()).writeLong(0x4745_5420_2f20_4854L); // "GET / HT"
                assertThat(closedByPeer(wrongMagic))
                        .as("a client speaking another protocol is dropped")
                        .isTrue();
            }
            try (Socket stranger = connect(answerPort)) {
                DataOutputStream out = new DataOutputStream(stranger.getOutputStream());
                greet(out, 1, 2, 3);
                stranger.setSoTimeout(5_000);
                DataInputStream in = new DataInputStream(stranger.getInputStream());
                assertThat(in.read()).as("the greeting taken").isEqualTo(AnswerLinkServer.REGISTERED);
                byte[] save = new byte[] {PrimaryBackupWire.SAVE, 0, 0, 0};
                out.writeLong(1);
                out.writeInt(save.length);
                out.write(save);
                out.flush();
                assertThat(in.readLong()).as("the save's number").isEqualTo(1);
                assertThat(in.read())
                        .as("a save on the link of a node outside the view is refused")
                        .isEqualTo(AnswerLinkServer.REFUSED);
                assertThat(in.readUTF()).contains(ClusterChannel.NOT_IN_VIEW);
                byte[] decide = new byte[] {PrimaryBackupWire.DECIDE, 0};
                out.writeLong(2);
                out.writeInt(decide.length);
                out.write(decide);
                out.flush();
                assertThat(in.readLong()).isEqualTo(2);
                assertThat(in.read())
                        .as("a request of a kind that does not travel on links is refused")
                        .isEqualTo(AnswerLinkServer.REFUSED);
                assertThat(in.readUTF()).contains("not taken on a link");
                byte[] big = new byte[AnswerLinkServer.STRANGER_SAVE + 1];
                big[0] = PrimaryBackupWire.SAVE;
                out.writeLong(3);
                out.writeInt(big.length);
                out.write(big);
                out.flush();
                assertThat(in.readLong()).isEqualTo(3);
                assertThat(in.read())
                        .as("a large save from a node outside the view is refused unread")
                        .isEqualTo(AnswerLinkServer.REFUSED);
                assertThat(in.readUTF()).contains("outside the view");
                out.writeLong(4);
                out.writeInt(-5);
                out.flush();
                assertThat(closedByPeer(stranger))
                        .as("a link that claims a save of a negative length is ended")
                        .isTrue();
            }
            try (Socket first = connect(answerPort);
                    Socket second = connect(answerPort)) {
                greet(new DataOutputStream(first.getOutputStream()), 1, 2, 4);
                first.setSoTimeout(5_000);
                assertThat(first.getInputStream().read()).isEqualTo(AnswerLinkServer.REGISTERED);
                greet(new DataOutputStream(second.getOutputStream()), 1, 2, 4);
                assertThat(closedByPeer(second))
                        .as("a second link taking the name of a link already there is refused")
                        .isTrue();
                first.setSoTimeout(300);
                assertThatThrownBy(() -> first.getInputStream().read())
                        .as("the first link of that name stays open")
                        .isInstanceOf(SocketTimeoutException.class);
            }
            try (Socket slow = connect(answerPort)) {
                OutputStream out = slow.getOutputStream();
                long start = System.nanoTime();
                boolean closed = false;
                for (int i = 0; i < 20 && !closed; i++) { // one byte of the greeting every 300 ms
                    try {
                        out.write(0x53);
                        out.flush();
                        slow.setSoTimeout(300);
                        closed = slow.getInputStream().read() < 0;
                    } catch (SocketTimeoutException stillOpen) {
                        // go on
                    } catch (IOException reset) {
                        closed = true;
                    }
                }
                assertThat(closed)
                        .as("a greeting dragged out byte by byte is cut")
                        .isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                        .isLessThan(AnswerLinkServer.GREETING_TIMEOUT.multipliedBy(3));
            }

            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < AnswerLinkServer.MAX_GREETING + 20; i++) {
                    silent.add(connect(answerPort));
                }
                // The silent clients fill the greeting slots: a's saves reach b all the same, their
                // answers on a's links or, for a link it could not open, through JGroups.
                for (int i = 0; i < 10; i++) {
                    SessionId during = SessionId.random();
                    a.save(created(during));
                    assertThat(b.heldCopy(during))
                            .as("b's copy of a save made among silent clients")
                            .isPresent();
                }
            } finally {
                for (Socket s : silent) {
                    s.close();
                }
            }
            // A link a could not open among the silent clients left b's port counted unreachable
            // for a few seconds; then a tries it again.
            awaitAnswersOnLinks(a, () -> a.save(created(SessionId.random())));
        }
    }

    /**
     * Saves to one session from four threads of one node at once, each on a link of its own: each
     * sets an attribute of its own and one they all set ("last"), so a replica that applied two of
     * them in another order than the saving node holds another "last".
     */
    private static void race(SessionId id, SessionStore node) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String prefix = "t" + t + "-";
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 45; i++) {
                        Instant now = Instant.now();
                        node.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                                .set(prefix + i, Integer.toString(i).getBytes(StandardCharsets.UTF_8))
                                .set("last", (prefix + i).getBytes(StandardCharsets.UTF_8))
                                .build());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static ChangeSet created(SessionId id) {
        Instant now = Instant.now();
        return ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                .created()
                .maxInactiveInterval(Duration.ofMinutes(30))
                .build();
    }

    private static Map<String, String> attributes(SessionRecord record) {
        Map<String, String> values = new java.util.TreeMap<>();
        record.attributes().forEach((k, v) -> values.put(k, new String(v, StandardCharsets.UTF_8)));
        return values;
    }

    private static void greet(DataOutputStream out, long mostSigBits, long leastSigBits, long link) throws IOException {
        out.writeInt(AnswerLinkServer.MAGIC);
        out.writeLong(mostSigBits);
        out.writeLong(leastSigBits);
        out.writeLong(link);
        out.flush();
    }

    private static Socket connect(InetSocketAddress where) throws IOException {
        Socket s = new Socket();
        s.connect(where, 2_000);
        return s;
    }

    /** Whether the server ends the connection within a few seconds: end of stream, or a reset. */
    private static boolean closedByPeer(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private PrimaryBackupSessionStore.Builder primaryBackup(String name, int port, String peers) throws IOException {
        return PrimaryBackupSessionStore.builder(cluster)
                .config(LoopbackTcp.stack(dir, name, port, peers).toString())
                .nodeName(name)
                .timeout(Duration.ofSeconds(5))
                .peerWait(Duration.ofSeconds(5));
    }

    private ReplicatedSessionStore.Builder replicated(String name, int port, String peers) throws IOException {
        return ReplicatedSessionStore.builder(cluster)
                .config(LoopbackTcp.stack(dir, name, port, peers).toString())
                .nodeName(name)
                .timeout(Duration.ofSeconds(5))
                .peerWait(Duration.ofSeconds(5));
    }

    /**
     * Saves with {@code save} until {@code node} reads answers on its links: they are opened in the
     * background, so the first saves after a join, or after a port could not be reached, have their
     * answers come through JGroups.
     */
    private static void awaitAnswersOnLinks(ReportingStore node, ThrowingRunnable save) {
        long before = node.counters().get("answers_on_links");
        Await.until(
                Duration.ofSeconds(20),
                () -> {
                    save.run();
                    return node.counters().get("answers_on_links");
                },
                answered -> answered > before,
                "answers read on the links");
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * A node built without the answer links, as they are by default and as one of a version before
     * them: no answer port, every answer through JGroups.
     */
    private static <S> S withoutAnswerPort(java.util.concurrent.Callable<S> build) throws Exception {
        return build.call();
    }

    /**
     * A node built with the answer links ({@code satchel.cluster.answer_links=true}, off by default).
     * The switch is a JVM-wide system property, read while the node joins: safe while this module's
     * tests run one at a time (they do).
     */
    private static <S> S withAnswerLinks(java.util.concurrent.Callable<S> build) throws Exception {
        System.setProperty("satchel.cluster.answer_links", "true");
        try {
            return build.call();
        } finally {
            System.clearProperty("satchel.cluster.answer_links");
        }
    }

    private static String peers(int[] ports) {
        List<String> peers = new ArrayList<>();
        for (int port : ports) {
            peers.add("127.0.0.1[" + port + "]");
        }
        return String.join(",", peers);
    }

    /** Ports whose + 200 (the answer port) is free too. */
    private static int[] freePorts(int count) throws IOException {
        int[] ports = new int[count];
        int found = 0;
        while (found < count) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            if (port + AnswerLinkServer.PORT_OFFSET > 65_535 || contains(ports, found, port)) {
                continue;
            }
            try (ServerSocket copy = new ServerSocket(port + AnswerLinkServer.PORT_OFFSET)) {
                ports[found++] = port;
            } catch (IOException taken) {
                // another one
            }
        }
        return ports;
    }

    private static boolean contains(int[] ports, int found, int port) {
        for (int i = 0; i < found; i++) {
            if (Math.abs(ports[i] - port) == AnswerLinkServer.PORT_OFFSET || ports[i] == port) {
                return true;
            }
        }
        return false;
    }
}
