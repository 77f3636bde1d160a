package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

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
        int portA = LoopbackTcp.freePort();
        int portB = LoopbackTcp.freePort();
        String peers = "127.0.0.1[" + portA + "],127.0.0.1[" + portB + "]";
        Path configA = LoopbackTcp.deafenableStack(dir, "a", portA, peers);
        Path configB = LoopbackTcp.deafenableStack(dir, "b", portB, peers);
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
}
