package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jgroups.Address;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TCPPING;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes started together, as the demo and the lab start them: they must form one cluster while
 * each waits for its peers, not each serve alone. (Seen in the lab, every cluster it started: the
 * first node formed a cluster of one and, a second later, left it to ask again while the others
 * were joining it; they then waited on its old address until their join attempts ran out, 18 s.)
 * Real TCP on loopback, with the product's timeouts.
 */
class ConcurrentStartIT {
    private final String cluster = "satchel-start-" + UUID.randomUUID();

    @TempDir
    Path dir;

    @Test
    void threeNodesStartedAtOnce_eachJoinsTheOthersWithinItsWait() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        ExecutorService starting = Executors.newFixedThreadPool(3);
        List<PrimaryBackupSessionStore> nodes = new ArrayList<>();
        try {
            List<Future<PrimaryBackupSessionStore>> builds = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path config = config("n" + i, ports[i], ports);
                String name = "n" + i;
                builds.add(starting.submit(() -> PrimaryBackupSessionStore.builder(cluster)
                        .config(config.toString())
                        .plaintext()
                        .nodeName(name)
                        .peerWait(Duration.ofSeconds(10))
                        .build()));
            }
            for (Future<PrimaryBackupSessionStore> build : builds) {
                nodes.add(build.get(60, TimeUnit.SECONDS));
            }
            for (PrimaryBackupSessionStore node : nodes) {
                assertThat(node.view().members())
                        .as("a node's view when its start returned: it did not give up waiting and serve alone")
                        .hasSizeGreaterThan(1);
            }
            for (PrimaryBackupSessionStore node : nodes) {
                CopiesAgreeIT.awaitMembers(node, 3);
            }
        } finally {
            starting.shutdownNow();
            for (PrimaryBackupSessionStore node : nodes) {
                node.close();
            }
        }
    }

    /**
     * Two nodes each alone in a cluster of its own (their discovery was lost): only the one that
     * ranks after the other leaves to join it, unless it has been alone a while; and a node whose
     * listed peers do not run has nobody to join.
     */
    @Test
    void aNodeAloneLeavesOnlyForAnotherCoordinator_theLaterRankedFirst() throws Exception {
        int[] ports = {freePort(), freePort()};
        try (PrimaryBackupSessionStore a = deafAlone("a", ports[0], ports)) {
            try (PrimaryBackupSessionStore b = deafAlone("b", ports[1], ports)) {
                hear(a);
                hear(b);
                assertThat(a.view().members()).hasSize(1);
                assertThat(b.view().members()).hasSize(1);
                Address addressA = a.channel().getAddress();
                Address addressB = b.channel().getAddress();
                boolean aRanksFirst = addressA.compareTo(addressB) < 0;
                assertThat(Membership.joinElsewhere(a.channel(), discovery(a), false))
                        .as("a leaves early only if b ranks before it")
                        .isEqualTo(!aRanksFirst);
                assertThat(Membership.joinElsewhere(b.channel(), discovery(b), false))
                        .as("b leaves early only if a ranks before it")
                        .isEqualTo(aRanksFirst);
                assertThat(Membership.joinElsewhere(a.channel(), discovery(a), true))
                        .as("after a while alone, a leaves for any coordinator")
                        .isTrue();
            }
            assertThat(Membership.joinElsewhere(a.channel(), discovery(a), true))
                    .as("nobody else runs: nobody to join")
                    .isFalse();
        }
    }

    /** A node that starts deaf, so it forms a cluster of its own at once. */
    private PrimaryBackupSessionStore deafAlone(String name, int port, int[] ports) throws IOException {
        Path config = config(name, port, ports).getParent().resolve(name + "-deaf.xml");
        Files.writeString(
                config,
                Files.readString(dir.resolve(name + ".xml")).replace("<DISCARD/>", "<DISCARD discard_all=\"true\"/>"));
        return PrimaryBackupSessionStore.builder(cluster)
                .config(config.toString())
                .plaintext()
                .nodeName(name)
                .peerWait(Duration.ZERO)
                .build();
    }

    private static void hear(PrimaryBackupSessionStore node) {
        DISCARD deaf = node.channel().getProtocolStack().findProtocol(DISCARD.class);
        deaf.discardAll(false);
    }

    private static TCPPING discovery(PrimaryBackupSessionStore node) {
        return node.channel().getProtocolStack().findProtocol(TCPPING.class);
    }

    /** The product's stack on loopback (tcp.xml's timeouts), with DISCARD over TCP, every port listed. */
    private Path config(String name, int port, int[] ports) throws IOException {
        StringBuilder hosts = new StringBuilder();
        for (int p : ports) {
            hosts.append(hosts.isEmpty() ? "" : ",")
                    .append("127.0.0.1[")
                    .append(p)
                    .append(']');
        }
        String xml =
                """
                <config xmlns="urn:org:jgroups">
                    <TCP bind_addr="127.0.0.1" bind_port="%d" port_range="0" tcp_nodelay="true"
                         bundler_type="no-bundler" message_processing_policy="direct"/>
                    <DISCARD/>
                    <TCPPING initial_hosts="%s" port_range="0" async_discovery="true"/>
                    <MERGE3 min_interval="60s" max_interval="90s"/>
                    <FD_ALL3 timeout="6s" interval="1s"/>
                    <VERIFY_SUSPECT2 timeout="300ms"/>
                    <pbcast.NAKACK2 use_mcast_xmit="false"/>
                    <UNICAST3/>
                    <pbcast.STABLE desired_avg_gossip="5s" max_bytes="4M"/>
                    <pbcast.GMS print_local_addr="false" join_timeout="1s"/>
                    <FRAG2 frag_size="60K"/>
                </config>
                """
                        .formatted(port, hosts);
        return Files.writeString(dir.resolve(name + ".xml"), xml);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
