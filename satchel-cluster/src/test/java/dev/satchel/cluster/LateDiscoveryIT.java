package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jgroups.protocols.DISCARD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node restarted while its peers were too busy to answer its discovery in time (seen in the lab's
 * rolling deploy on two cores): it must come in as a joiner, not as a second cluster that a merge
 * brings in later, because after a merge every node waits for the other side's copies and the
 * balancer, finding no node ready, answers 503 to everyone. Real TCP on loopback; the late answer
 * is made by the running node dropping everything for a moment; merges are slowed here so only
 * the node's own asking again can bring it in within the wait.
 */
class LateDiscoveryIT {
    private final String cluster = "satchel-late-" + UUID.randomUUID();

    @TempDir
    Path dir;

    @Test
    void aNodeWhosePeersAnswerLateAsksAgainAndJoinsWhileTheRunningNodeStaysReady() throws Exception {
        int portA = freePort();
        int portB = freePort();
        Path configA = config("a", portA, portA, portB);
        Path configB = config("b", portB, portA, portB);
        try (PrimaryBackupSessionStore b = PrimaryBackupSessionStore.builder(cluster)
                .config(configB.toString())
                .plaintext()
                .nodeName("b")
                .peerWait(Duration.ZERO)
                .build()) {
            assertThat(b.view().ready()).isTrue();
            DISCARD deaf = b.channel().getProtocolStack().findProtocol(DISCARD.class);
            deaf.discardAll(true);

            AtomicBoolean stayedReady = new AtomicBoolean(true);
            AtomicBoolean watching = new AtomicBoolean(true);
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    if (!b.view().ready()) {
                        stayedReady.set(false);
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            watcher.start();
            CompletableFuture<PrimaryBackupSessionStore> a =
                    CompletableFuture.supplyAsync(() -> PrimaryBackupSessionStore.builder(cluster)
                            .config(configA.toString())
                            .plaintext()
                            .nodeName("a")
                            .peerWait(Duration.ofSeconds(10))
                            .build());
            TimeUnit.MILLISECONDS.sleep(1_500); // a's discovery has timed out: it is a cluster of one
            deaf.discardAll(false);
            try (PrimaryBackupSessionStore joined = a.get(20, TimeUnit.SECONDS)) {
                assertThat(joined.view().members())
                        .as("a joined b within its wait, not after it served alone")
                        .hasSize(2);
                CopiesAgreeIT.awaitMembers(b, 2);
                TimeUnit.MILLISECONDS.sleep(500);
            } finally {
                watching.set(false);
                watcher.join();
            }
            assertThat(stayedReady.get())
                    .as("the running node never reported not ready while the late node came in")
                    .isTrue();
        }
    }

    /** The product's stack on loopback, with DISCARD over TCP and merges too slow to matter here. */
    private Path config(String name, int port, int portA, int portB) throws IOException {
        String xml =
                """
                <config xmlns="urn:org:jgroups">
                    <TCP bind_addr="127.0.0.1" bind_port="%d" port_range="0" tcp_nodelay="true"
                         bundler_type="no-bundler" message_processing_policy="direct"/>
                    <DISCARD/>
                    <TCPPING initial_hosts="127.0.0.1[%d],127.0.0.1[%d]" port_range="0" async_discovery="true"/>
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
                        .formatted(port, portA, portB);
        return Files.writeString(dir.resolve(name + ".xml"), xml);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
