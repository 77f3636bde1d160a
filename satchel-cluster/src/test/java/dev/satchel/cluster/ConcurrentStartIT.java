package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
        int[] ports = {LoopbackTcp.freePort(), LoopbackTcp.freePort(), LoopbackTcp.freePort()};
        ExecutorService starting = Executors.newFixedThreadPool(3);
        List<PrimaryBackupSessionStore> nodes = new ArrayList<>();
        try {
            List<Future<PrimaryBackupSessionStore>> builds = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path config = LoopbackTcp.deafenableStack(dir, "n" + i, ports[i], peers(ports));
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
        int[] ports = {LoopbackTcp.freePort(), LoopbackTcp.freePort()};
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
        Path config = dir.resolve(name + "-deaf.xml");
        Files.writeString(
                config,
                Files.readString(LoopbackTcp.deafenableStack(dir, name, port, peers(ports)))
                        .replace("<DISCARD/>", "<DISCARD discard_all=\"true\"/>"));
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

    private static String peers(int[] ports) {
        StringBuilder hosts = new StringBuilder();
        for (int p : ports) {
            hosts.append(hosts.isEmpty() ? "" : ",")
                    .append("127.0.0.1[")
                    .append(p)
                    .append(']');
        }
        return hosts.toString();
    }
}
